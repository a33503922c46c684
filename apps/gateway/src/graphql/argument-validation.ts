import { validateOrReject, type ValidationError, type ValidatorOptions } from "class-validator";
import { ArgumentValidationError, getMetadataStorage, type ValidatorFn } from "type-graphql";

/**
 * What every argument is validated with: type-graphql's own defaults (`skipMissingProperties`,
 * no `forbidUnknownValues`) and every error, not only the first.
 */
export const ARGUMENT_VALIDATION: ValidatorOptions = {
  forbidUnknownValues: false,
  stopAtFirstError: false,
  skipMissingProperties: true,
};

const isObject = (value: unknown): value is object => value !== null && typeof value === "object";

/**
 * type-graphql's validation of an argument, with class-validator imported once. type-graphql's own
 * path runs `await import("class-validator")` on every validated argument, which CommonJS turns
 * into a `require` resolved again each time (lookup paths, the package's `exports`): about 15 µs of
 * a `setPreferences` request under load (issue 18). The same rules: scalars and null pass, each
 * object of a list is validated, and the errors arrive as its `ArgumentValidationError`.
 */
export const validateArgument: ValidatorFn = async (argValue) => {
  if (!isObject(argValue)) return;
  try {
    if (Array.isArray(argValue)) {
      await Promise.all(argValue.filter(isObject).map((item) => validateOrReject(item, ARGUMENT_VALIDATION)));
    } else {
      await validateOrReject(argValue, ARGUMENT_VALIDATION);
    }
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
};

const skipValidation: ValidatorFn = () => undefined;

/** An argument's metadata as type-graphql keeps it (the parts read here). */
interface ArgumentMetadata {
  target: { name: string };
  methodName: string;
  validateSettings?: unknown;
  validateFn?: ValidatorFn;
}

/**
 * A schema-wide `validateFn` replaces type-graphql's per-argument `validate` settings, so an
 * argument declared `{ validate: false }` (whose service checks it, with its own codes) would be
 * validated after all. This gives each such argument its own `validateFn` that does nothing, which
 * is what `validate: false` means. Other per-argument settings are not supported with the
 * schema-wide function: none is declared, and one that appears fails the start-up here rather than
 * being silently validated with the wrong options. Returns how many arguments keep `validate: false`.
 */
export function keepArgumentsUnvalidated(): number {
  const storage = getMetadataStorage();
  const metadata: ArgumentMetadata[] = [];
  for (const param of storage.params) {
    if (param.kind === "arg" || param.kind === "args") metadata.push(param);
    else if (param.kind === "custom" && param.options.arg) metadata.push(param.options.arg);
  }
  let unvalidated = 0;
  for (const argument of metadata) {
    if (argument.validateFn || argument.validateSettings === undefined || argument.validateSettings === true) continue;
    if (argument.validateSettings !== false) {
      throw new Error(
        `${argument.target.name}.${argument.methodName}: per-argument validation options are not supported; ` +
          "use validate: false and check the input in the service",
      );
    }
    argument.validateFn = skipValidation;
    unvalidated += 1;
  }
  return unvalidated;
}
