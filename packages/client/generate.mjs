// Types of the REST API from its published OpenAPI document (openapi.json beside this file,
// which `npm run openapi` writes from the gateway's route contracts): src/generated/schema.ts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

const out = process.argv.find((a) => a.startsWith('--outDir='))?.slice('--outDir='.length) ?? 'src/generated';
const document = JSON.parse(await readFile(new URL('./openapi.json', import.meta.url), 'utf8'));
const ast = await openapiTS(document, { rootTypes: false });
await mkdir(out, { recursive: true });
await writeFile(
  `${out}/schema.ts`,
  `// Generated from openapi.json by generate.mjs: do not edit.\n${astToString(ast)}`,
);
