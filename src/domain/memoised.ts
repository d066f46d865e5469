/**
 * `compute` with its answers remembered for the last `max` distinct inputs, the oldest forgotten first: for a costly
 * pure function whose inputs repeat (User-Agent strings, page URLs). Memory stays bounded however many inputs come.
 */
export function memoised<R>(compute: (input: string) => R, max: number): (input: string) => R {
  const answers = new Map<string, R>();
  return (input) => {
    const known = answers.get(input);
    if (known !== undefined || answers.has(input)) return known as R;
    const answer = compute(input);
    if (answers.size >= max) answers.delete(answers.keys().next().value!);
    answers.set(input, answer);
    return answer;
  };
}
