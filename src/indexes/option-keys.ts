// Lists of the keys each public options object accepts (checked at run time with
// assertKnownKeys from util/options.ts), tied to the TypeScript options types at
// compile time so that a key added to an interface but not to its list (or the
// other way round) fails `tsc --noEmit`.

/**
 * `true` when `K` names exactly the keys of `T`, both ways; otherwise an object
 * type naming the keys `missing` from the list and the `extra` ones.
 */
export type KeysMatch<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>, Exclude<K[number], keyof T>] extends [never, never]
  ? true
  : { missing: Exclude<keyof T, K[number]>; extra: Exclude<K[number], keyof T> };

/**
 * Use as `type _Check = AssertKeys<KeysMatch<FooOptions, typeof FOO_OPTION_KEYS>>`:
 * a list out of step with its type is a compile error that names the keys.
 */
export type AssertKeys<T extends true> = T;
