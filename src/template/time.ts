/**
 * Go's time.Time as templates see it from `toTime`: a `*time.Time` that prints as Go's
 * Time.String() (`2015-06-23 13:19:44.128 +0000 UTC`) and has the methods rule files call
 * (`.Format "2006-01-02"`, `.Unix`, …). Always UTC, as Prometheus makes these times.
 */
import { GoInt, GoStruct, type Value } from './values.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Go's layout tokens, longest first where one is a prefix of another. */
const TOKENS = [
  'January',
  'Monday',
  '2006',
  '-07:00:00',
  'Z07:00:00',
  '-07:00',
  'Z07:00',
  '-0700',
  'Z0700',
  '-07',
  'Z07',
  'Jan',
  'Mon',
  'MST',
  '002',
  '__2',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  '_2',
  'PM',
  'pm',
  '1',
  '2',
  '3',
  '4',
  '5',
];

/** Time.Format(layout) for a UTC time given in milliseconds since the epoch. */
export function formatTime(ms: number, layout: string): string {
  const d = new Date(ms);
  let out = '';
  let i = 0;
  while (i < layout.length) {
    // Fractional seconds: ".000" / ",000" keep zeros, ".999" / ",999" drop trailing zeros.
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac) {
      const digits = (frac[1] as string).length;
      const nanos = pad(d.getUTCMilliseconds(), 3).padEnd(9, '0').slice(0, digits);
      if ((frac[1] as string)[0] === '0') out += layout[i] + nanos;
      else {
        const trimmed = nanos.replace(/0+$/, '');
        if (trimmed) out += layout[i] + trimmed;
      }
      i += (frac[0] as string).length;
      continue;
    }
    const token = TOKENS.find((t) => layout.startsWith(t, i));
    if (!token) {
      out += layout[i];
      i++;
      continue;
    }
    i += token.length;
    const hour = d.getUTCHours();
    switch (token) {
      case '2006':
        out += pad(d.getUTCFullYear(), 4);
        break;
      case '06':
        out += pad(d.getUTCFullYear() % 100, 2);
        break;
      case 'January':
        out += MONTHS[d.getUTCMonth()];
        break;
      case 'Jan':
        out += (MONTHS[d.getUTCMonth()] as string).slice(0, 3);
        break;
      case '01':
        out += pad(d.getUTCMonth() + 1, 2);
        break;
      case '1':
        out += String(d.getUTCMonth() + 1);
        break;
      case 'Monday':
        out += DAYS[d.getUTCDay()];
        break;
      case 'Mon':
        out += (DAYS[d.getUTCDay()] as string).slice(0, 3);
        break;
      case '02':
        out += pad(d.getUTCDate(), 2);
        break;
      case '_2':
        out += String(d.getUTCDate()).padStart(2, ' ');
        break;
      case '2':
        out += String(d.getUTCDate());
        break;
      case '002':
      case '__2': {
        const yday = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
        out += token === '002' ? pad(yday, 3) : String(yday).padStart(3, ' ');
        break;
      }
      case '15':
        out += pad(hour, 2);
        break;
      case '03':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, 2);
        break;
      case '3':
        out += String(hour % 12 === 0 ? 12 : hour % 12);
        break;
      case '04':
        out += pad(d.getUTCMinutes(), 2);
        break;
      case '4':
        out += String(d.getUTCMinutes());
        break;
      case '05':
        out += pad(d.getUTCSeconds(), 2);
        break;
      case '5':
        out += String(d.getUTCSeconds());
        break;
      case 'PM':
        out += hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += 'UTC';
        break;
      case '-0700':
        out += '+0000';
        break;
      case '-07:00':
        out += '+00:00';
        break;
      case '-07':
        out += '+00';
        break;
      case '-07:00:00':
        out += '+00:00:00';
        break;
      default:
        // The Z forms print Z for UTC.
        out += 'Z';
    }
  }
  return out;
}

/** A `*time.Time` (UTC) at `ms` milliseconds since the epoch. */
export function goTime(ms: number): GoStruct {
  const seconds = Math.floor(ms / 1000);
  return new GoStruct(
    '*time.Time',
    new Map(),
    {
      Format: { params: ['string'], call: ([layout]: Value[]) => formatTime(ms, layout as string) },
      Unix: { params: [], call: () => new GoInt(BigInt(seconds), 'int64') },
      UnixMilli: { params: [], call: () => new GoInt(BigInt(ms), 'int64') },
      UnixNano: { params: [], call: () => new GoInt(BigInt(ms) * 1_000_000n, 'int64') },
      UTC: { params: [], call: () => goTime(ms) },
      String: { params: [], call: () => timeString(ms) },
      Year: { params: [], call: () => new GoInt(BigInt(new Date(ms).getUTCFullYear())) },
      YearDay: { params: [], call: () => new GoInt(BigInt(Number(formatTime(ms, '002')))) },
      Day: { params: [], call: () => new GoInt(BigInt(new Date(ms).getUTCDate())) },
      Hour: { params: [], call: () => new GoInt(BigInt(new Date(ms).getUTCHours())) },
      Minute: { params: [], call: () => new GoInt(BigInt(new Date(ms).getUTCMinutes())) },
      Second: { params: [], call: () => new GoInt(BigInt(new Date(ms).getUTCSeconds())) },
    },
    () => timeString(ms),
  );
}

/** Time.String() of a UTC time: `2006-01-02 15:04:05.999999999 -0700 MST`. */
export function timeString(ms: number): string {
  return formatTime(ms, '2006-01-02 15:04:05.999999999 -0700 MST');
}
