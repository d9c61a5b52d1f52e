// The filter language (MongoDB / Pinecone / Chroma convention) and its compiled form.
import type { JsonValue } from '../metadata.js';

export type Scalar = string | number | boolean | null;

export interface FieldOperators {
  $eq?: JsonValue;
  $ne?: JsonValue;
  $gt?: number | string;
  $gte?: number | string;
  $lt?: number | string;
  $lte?: number | string;
  $in?: JsonValue[];
  $nin?: JsonValue[];
  $exists?: boolean;
  $not?: FieldOperators;
}

/** `{ field: value }` is $eq; several keys are ANDed; dotted paths reach into nested objects. */
export interface Filter {
  $and?: Filter[];
  $or?: Filter[];
  $nor?: Filter[];
  $not?: Filter;
  [field: string]: JsonValue | FieldOperators | Filter | Filter[] | undefined;
}

/** A validated filter, ready to evaluate against the field indexes. */
export type FilterNode =
  | { kind: 'all' }
  | { kind: 'and'; children: FilterNode[] }
  | { kind: 'or'; children: FilterNode[] }
  | { kind: 'not'; child: FilterNode }
  /** Field (or any element of an array field) equals one of `values`. */
  | { kind: 'in'; path: string; values: JsonValue[] }
  | { kind: 'range'; path: string; type: 'number' | 'string'; lo?: number | string; loInclusive: boolean; hi?: number | string; hiInclusive: boolean }
  | { kind: 'exists'; path: string };
