/**
 * The PromQL editor: CodeMirror 6 with Prometheus's own PromQL support
 * (@prometheus-io/codemirror-promql): highlighting, the linter, and completion of functions,
 * keywords, and of metric names, label names and values asked from this server's API. Enter runs
 * the query (unless a completion is open: then it picks it), Shift+Enter inserts a newline.
 */
import { pathPrefix } from '../prefix.js';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { newCompleteStrategy, PromQLExtension } from '@prometheus-io/codemirror-promql';

const highlight = HighlightStyle.define([
  { tag: tags.number, color: '#09885a' },
  { tag: tags.string, color: '#a31515' },
  { tag: tags.keyword, color: '#008080' },
  { tag: tags.function(tags.variableName), color: '#008080' },
  { tag: tags.labelName, color: '#800000' },
  { tag: tags.modifier, color: '#008080' },
  { tag: tags.invalid, color: 'red' },
  { tag: tags.comment, color: '#888', fontStyle: 'italic' },
]);

const theme = EditorView.theme({
  '&': { backgroundColor: '#fff', border: '1px solid var(--line)', borderRadius: '6px', fontSize: '13.5px' },
  '&.cm-focused': { outline: '2px solid #b9c7f2' },
  '.cm-content': { padding: '6px 4px', fontFamily: 'var(--mono)' },
  '.cm-scroller': { fontFamily: 'var(--mono)' },
  '.cm-placeholder': { fontFamily: 'system-ui, sans-serif' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono)', maxHeight: '320px' },
  '.cm-completionDetail': { float: 'right', color: '#999', marginLeft: '1em' },
  '.cm-completionMatchedText': { textDecoration: 'none', fontWeight: 'bold' },
});

/** An editor in a panel. */
export interface PromQLEditor {
  readonly view: EditorView;
  value(): string;
  setValue(text: string): void;
  focus(): void;
}

/** A new editor under `parent` holding `doc`; `run` is called with the text on Enter. */
export function createEditor(parent: HTMLElement, doc: string, run: (expr: string) => void): PromQLEditor {
  // One extension per editor: it holds the completion's cache of what the API answered.
  const promql = new PromQLExtension()
    .activateCompletion(true)
    .activateLinter(true)
    // The API under this server's path prefix: <prefix>/api/v1/label/__name__/values, /labels, /series…
    .setComplete({ completeStrategy: newCompleteStrategy({ remote: { url: pathPrefix() } }) });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        theme,
        highlightSpecialChars(),
        history(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        // Before the Enter binding below: an open completion takes Enter first.
        autocompletion(),
        EditorView.lineWrapping,
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        placeholder('Enter expression (press Shift+Enter for newlines)'),
        syntaxHighlighting(highlight),
        promql.asExtension(),
        Prec.highest(
          keymap.of([
            {
              key: 'Enter',
              run: (v) => {
                run(v.state.doc.toString());
                return true;
              },
            },
            { key: 'Shift-Enter', run: insertNewlineAndIndent },
          ]),
        ),
        EditorView.contentAttributes.of({ 'aria-label': 'PromQL expression' }),
      ],
    }),
  });
  return {
    view,
    value: () => view.state.doc.toString(),
    setValue: (text: string) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
  };
}
