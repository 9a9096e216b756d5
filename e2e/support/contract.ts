/**
 * Response conformance: every reply the e2e suites get from the API is checked
 * against the OpenAPI document the running stack serves (status documented
 * for the operation, content type, body schema). A reply that breaks the
 * document fails the test that received it.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

interface MediaType {
  schema?: unknown;
}
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
export interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const BASE = 'https://hms.invalid/openapi.json';

export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, formats: { binary: true } });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { pattern: RegExp; template: string }[];
  /** How many replies were checked, by operation id (and `405`/`404` for the rest). */
  readonly checked = new Map<string, number>();

  constructor(readonly document: OpenApiDocument) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: BASE, components: document.components });
    // Literal segments first, so /queues/{doctorId}/stream is not taken for /queues/{doctorId}.
    this.routes = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      const text = JSON.stringify(schema ?? {}).replaceAll('"#/components/', `"${BASE}#/components/`);
      v = this.ajv.compile(JSON.parse(text) as object);
      this.validators.set(key, v);
    }
    return v;
  }

  private count(key: string) {
    this.checked.set(key, (this.checked.get(key) ?? 0) + 1);
  }

  /** What is wrong with a reply to `method path` (path without the /api/v1 prefix), or undefined. */
  violation(
    method: string,
    path: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string | undefined {
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const route = this.routes.find((r) => r.pattern.test(path.split('?')[0]!));
    const problem = () => {
      if (media !== 'application/problem+json')
        return `${status} is ${media || 'without a content type'}, not problem+json`;
      const v = this.validator('Problem', { $ref: '#/components/schemas/Problem' });
      return v(body) ? undefined : `problem body: ${this.ajv.errorsText(v.errors)}`;
    };
    const where = `${method.toUpperCase()} ${path} -> ${status}`;
    if (!route) {
      this.count('404');
      // Unknown paths: not found (or refused before routing).
      if (![401, 404, 429].includes(status)) return `${where}: a path the document lacks answered ${status}`;
      const p = problem();
      return p && `${where}: ${p}`;
    }
    const operation = this.document.paths[route.template]![m];
    if (!operation) {
      this.count('405');
      if (![401, 405, 429].includes(status)) return `${where}: the document has no ${m} ${route.template}`;
      const p = problem();
      return p && `${where}: ${p}`;
    }
    this.count(operation.operationId);
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) {
      return `${where}: ${operation.operationId} documents ${Object.keys(operation.responses).join(', ')}, not ${status}`;
    }
    const contents = response.content ?? {};
    if (Object.keys(contents).length === 0) {
      return body === undefined || body === '' ? undefined : `${where}: documented without a body, got one`;
    }
    const declared = contents[media];
    if (!declared) return `${where}: content type ${media || '(none)'}, documented ${Object.keys(contents).join(', ')}`;
    if (method.toLowerCase() === 'head' || !media.includes('json')) return undefined;
    const v = this.validator(`${operation.operationId} ${status} ${media}`, declared.schema);
    return v(body)
      ? undefined
      : `${where}: body breaks ${operation.operationId}'s schema: ${this.ajv.errorsText(v.errors)}`;
  }
}

let checker: Promise<ContractChecker> | undefined;
/** The checker of the document the stack under test serves (fetched once per test file). */
export function contractOf(apiBase: string): Promise<ContractChecker> {
  checker ??= fetch(`${apiBase}/openapi.json`)
    .then(async (r) => {
      if (r.status !== 200) throw new Error(`GET ${apiBase}/openapi.json answered ${r.status}`);
      return new ContractChecker((await r.json()) as OpenApiDocument);
    })
    .catch((error: unknown) => {
      checker = undefined;
      throw error;
    });
  return checker;
}
