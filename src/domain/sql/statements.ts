// A small SQL lexer: enough to split a script into statements and to look at a statement's words without being
// fooled by strings, quoted identifiers or comments. Works for Postgres and ClickHouse text alike.

export interface Lexed {
  /** The text with comments removed and the contents of strings and quoted identifiers blanked. */
  code: string;
  /** Each statement's original text (comments kept), trimmed, empty ones dropped. */
  statements: string[];
}

export function lex(sql: string): Lexed {
  let code = "";
  const statements: string[] = [];
  let start = 0;
  let meaningful = false;
  let i = 0;
  const cut = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (meaningful && text !== "") statements.push(text);
    meaningful = false;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if ((c === "-" && next === "-") || c === "#") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
      code += " ";
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "\\") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      code += c + c;
      meaningful = true;
      i = j + 1;
      continue;
    }
    if (c === ";") {
      cut(i);
      start = i + 1;
      code += c;
      i++;
      continue;
    }
    if (!/\s/.test(c)) meaningful = true;
    code += c;
    i++;
  }
  cut(sql.length);
  return { code, statements };
}

export function splitStatements(sql: string): string[] {
  return lex(sql).statements;
}

/** The first keyword of the statement, upper-cased (`SELECT`, `INSERT`, …), ignoring comments and parentheses. */
export function firstKeyword(sql: string): string {
  const match = /^[\s(]*([A-Za-z]+)/.exec(lex(sql).code);
  return match ? match[1]!.toUpperCase() : "";
}
