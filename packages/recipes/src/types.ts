/** The shapes of a recipe and of the message envelope that carries it (recipes.md, wire-format.md). */

/** A step number: a positive integer. In JSON documents it is written as a string key, `"1"`. */
export type StepNumber = number;

/** Where messages go: one step, or several. */
export type StepLinks = StepNumber | StepNumber[];

/** Named outputs of a step: `{ "success": 2, "failure": [3, 4] }`. */
export type NamedOutputs = Readonly<Record<string, StepLinks>>;

/** One step of a recipe. Keys beyond these are kept and passed along unchanged. */
export interface RecipeStep {
  /** Human-readable name of the service (documentation only). */
  readonly service?: string;
  /** Send messages for this step to this queue. */
  readonly queue?: string;
  /** Broadcast messages for this step to this topic (a step may have both). */
  readonly topic?: string;
  /** Free-form settings the service reads. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Where results go. A scalar in a document is loaded as a one-element list. */
  readonly output?: StepNumber[] | NamedOutputs;
  /** Where failures go. */
  readonly error?: StepLinks;
  /** Seconds to delay messages addressed to this step, unless the sender gave a delay. */
  readonly 'transport-delay'?: number;
  /** AMQP exchange to publish to instead of the default (transport capability `exchange`). */
  readonly exchange?: string;
  readonly [key: string]: unknown;
}

/** A start entry: send `payload` to step `step` when the recipe starts. */
export type StartEntry = readonly [step: StepNumber, payload: unknown];

/**
 * A recipe as a JSON document: `start`, optional `error`, and steps under numeric-string keys.
 * This is what `Recipe.toJSON()` returns and what travels in the envelope's `recipe` key.
 */
export interface RecipeDocument {
  start?: Array<[StepNumber, unknown]>;
  error?: StepLinks;
  [step: string]: unknown;
}

/**
 * A top-level key of a loaded recipe: a step number, `"start"`, `"error"`, or (in a recipe that
 * fails validation) any other text. A key such as `"1"` is loaded as the number 1.
 */
export type RecipeKey = number | string;

/** The body of a message travelling along a recipe (wire-format.md, "The recipe envelope"). */
export interface RecipeEnvelope {
  /** Carried unchanged along the whole recipe; `ID` holds the recipe id (a UUID). */
  readonly environment: Readonly<Record<string, unknown>>;
  /** The data for the step. */
  readonly payload: unknown;
  /** The whole recipe; numeric step keys are JSON strings. */
  readonly recipe: RecipeDocument;
  /** Steps already passed, oldest first. */
  readonly 'recipe-path': readonly StepNumber[];
  /** The step this message is addressed to. */
  readonly 'recipe-pointer': StepNumber;
}

/** Parameters for `applyParameters`: names to values (text, numbers, lists, objects). */
export type RecipeParameters = Readonly<Record<string, unknown>>;
