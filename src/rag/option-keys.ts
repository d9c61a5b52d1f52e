// Key lists of the RAG layer's options bags, for assertKnownKeys (unknown
// option keys are TypeErrors naming the nearest valid key). Each list sits
// next to its interface and is declared with optionKeys<Interface>()(...):
// the compiler rejects a list that misses a key of the interface or names a
// key the interface does not have, so the two cannot drift apart.
export { assertKnownKeys } from '../util/options.js';

/** The keys of T that `K` lacks, or that `K` has and T lacks, as a type error; else unknown. */
type SameKeys<T, K extends PropertyKey> = [Exclude<keyof T, K>] extends [never]
  ? [Exclude<K, keyof T>] extends [never]
    ? unknown
    : { error: 'keys not in the interface'; keys: Exclude<K, keyof T> }
  : { error: 'interface keys missing from the list'; keys: Exclude<keyof T, K> };

/**
 * `optionKeys<Options>()('a', 'b')` returns ['a', 'b'] when they are exactly
 * the keys of Options, and does not compile otherwise.
 */
export function optionKeys<T>() {
  return <const K extends readonly string[]>(...keys: K & SameKeys<T, K[number]>): readonly string[] => keys;
}
