import "reflect-metadata";
export { createGateway, startGateway, type Gateway, type GatewayOptions } from "./gateway";
export { createLogger } from "./observability/logger";
export { printGatewaySchema } from "./emit-schema";
