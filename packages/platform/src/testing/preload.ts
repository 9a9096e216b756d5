/**
 * Test runner preload, after `@hms/platform/register`: vitest imports packages
 * by their resolved path, and import-in-the-middle only hooks an import of a
 * package by its name. So every package the instrumentations patch is
 * imported here once by name: the objects they patch (prototypes, the express
 * application) are shared with every later import of the same package.
 */
import { isBuiltin } from 'node:module';
import { hmsInstrumentations } from '../instrumentations.js';

const packages = hmsInstrumentations({ enabled: false })
  .flatMap((i) => i.getModuleDefinitions().map((d) => d.name))
  .filter((name) => !isBuiltin(name));
for (const name of new Set(packages)) await import(name);
