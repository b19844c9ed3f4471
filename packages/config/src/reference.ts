import { z } from "zod";
import { ENV_SHAPE } from "./env";

/** What the schema says of one variable, as JSON Schema describes its input (for the reference docs). */
export type EnvVariableSchema = {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
};

/** Every variable of ENV_SHAPE with its input's JSON Schema (transforms shown as what they accept). */
export function envVariableSchemas(): Record<string, EnvVariableSchema> {
  const schema = z.toJSONSchema(z.object(ENV_SHAPE), { io: "input", unrepresentable: "any" }) as {
    properties: Record<string, EnvVariableSchema>;
  };
  return schema.properties;
}
