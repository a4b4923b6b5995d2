/**
 * Generates docs/api.md, the API reference, from the doc comments of every public export
 * (`npm run docs:api`). test/api-docs.test.ts fails when the file is stale or when an export has
 * no doc comment or no example.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { entries } from '../tsup.config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ApiExport {
  entry: string;
  name: string;
  kind: string;
  summary: string;
  examples: string[];
}

/** Every export of every public entry, with its doc comment summary and examples. */
export function collectExports(): ApiExport[] {
  const files = Object.values(entries).map((f) => join(root, f));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out: ApiExport[] = [];
  for (const [entry, file] of Object.entries(entries)) {
    const source = program.getSourceFile(join(root, file));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).split('\n\n')[0] ?? '';
      const examples = symbol
        .getJsDocTags(checker)
        .filter((tag) => tag.name === 'example')
        .map((tag) => ts.displayPartsToString(tag.text).trim());
      out.push({ entry: entry === 'index' ? 'oauth-kv' : `oauth-kv/${entry}`, name: exported.name, kind: kindOf(symbol), summary: summary.trim(), examples });
    }
  }
  return out.sort((a, b) => (a.entry === b.entry ? a.name.localeCompare(b.name) : 0));
}

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Variable) return 'constant';
  return 'export';
}

/** The text of docs/api.md. */
export function renderApi(exports: ApiExport[]): string {
  const lines = [
    '# API reference',
    '',
    'Generated from the doc comments by `npm run docs:api`; do not edit by hand. The guides in',
    '[README.md](README.md) explain how the pieces fit together.',
    '',
  ];
  for (const entry of [...new Set(exports.map((e) => e.entry))]) {
    lines.push(`## \`${entry}\``, '');
    for (const e of exports.filter((x) => x.entry === entry)) {
      lines.push(`### \`${e.name}\` (${e.kind})`, '');
      if (e.summary) lines.push(e.summary, '');
      for (const example of e.examples) {
        lines.push(example.startsWith('```') ? example : `\`\`\`ts\n${example}\n\`\`\``, '');
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export const API_DOC = join(root, 'docs', 'api.md');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderApi(collectExports());
  const before = (() => {
    try {
      return readFileSync(API_DOC, 'utf8');
    } catch {
      return '';
    }
  })();
  writeFileSync(API_DOC, text);
  console.log(before === text ? 'docs/api.md is up to date' : 'docs/api.md written');
}
