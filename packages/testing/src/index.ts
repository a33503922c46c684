import "reflect-metadata";

// @honour/testing: what the packages' and apps' tests share. Hand-listed: a new helper is added
// here on purpose.
export {
  createTestDatabase,
  openTestDataSource,
  pendingSchemaChanges,
  testDatabaseKinds,
  type TestDatabase,
  type TestDatabaseKind,
  type TestDataSource,
} from "./test-database";
export {
  buildGraphQLHarness,
  gatewayAuthChecker,
  type GraphQLCall,
  type GraphQLHarness,
  type GraphQLHarnessOptions,
} from "./graphql-harness";
export { createTestPlatform, TEST_SECRET, type TestPlatformOptions } from "./test-platform";
export {
  failure,
  FAST_PASSWORD_HASHING,
  lastVerificationToken,
  signUpTestAccount,
  TEST_PASSWORD,
  type Failure,
  type TestAccount,
  type TestAccountServices,
} from "./test-accounts";
export { everyStoredValue, statementsOf, type StoredValue } from "./stored-data";
export { GraphQLTestClient, type GraphQLTestResponse } from "./graphql-test-client";
export { startSmtpPeer, type ReceivedMail, type SmtpPeer } from "./smtp-peer";
export { sleep, waitFor, type Truthy } from "./polling";
export { printFaultFigures, useMysqlUrl } from "./fault-scenario";
export { FaultProxy, hostAndPort, type FaultMode, type FaultProxyOptions } from "./fault-proxy";
export {
  freePort,
  redisTestsRun,
  redisUnavailableReason,
  startRedisServer,
  type TestRedisServer,
} from "./redis-server";
export {
  mariadbReplicaTestsRun,
  mariadbReplicaUnavailableReason,
  startReplicatedMariadb,
  type TestReplicatedMariadb,
} from "./mariadb-replica";
