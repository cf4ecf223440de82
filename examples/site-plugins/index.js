// @ts-check
// An example site package: what it provides is declared in package.json under "zocalo".
import { recipeHandler } from '@zocalo/recipes';
import { defineService } from '@zocalo/workflows';
import { BaseWrapper } from '@zocalo/wrapper';

/** The greeting of the site configuration's `greeting` block, else "Hello". */
function greetingOf(configuration) {
  return configuration?.plugins?.greeting?.greeting ?? 'Hello';
}

/**
 * The wrapper `greet` (`zocalo wrap --wrap greet --recipewrapper FILE`): greets the step's
 * `parameters.name`, reporting on the step's `updates` output and sending the greeting to
 * `success` (and to its plain outputs).
 */
export class GreetWrapper extends BaseWrapper {
  /** @returns {Promise<import('@zocalo/wrapper').WrapperRunResult>} */
  async run() {
    const name = this.recipeWrapper?.recipeStep?.parameters?.name;
    if (typeof name !== 'string') throw new Error('the step has no parameters.name to greet');
    await this.update(`greeting ${name}`);
    const greeting = `${greetingOf(this.configuration)}, ${name}!`;
    this.logger.info({ greeting }, greeting);
    await this.recipeWrapper?.send({ greeting });
    return { success: true, payload: { greeting } };
  }
}

/**
 * The service `Greeter` (`zocalo service Greeter`): greets every `name` sent to its queue
 * (`greeter.queue` in the site storage, default `greeter`) and sends the greeting on.
 */
export function createGreeter(context) {
  const queue = String(context.storage['greeter.queue'] ?? 'greeter');
  return defineService({
    name: 'Greeter',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler(async (rw) => {
          const name = String(rw.recipeStep?.parameters?.name ?? rw.payload);
          await rw.send({ greeting: `${greetingOf(context.configuration)}, ${name}!` });
        }),
      );
    },
  });
}
