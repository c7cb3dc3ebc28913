/**
 * docker-compose.yml cannot run here (no Docker engine), so this test holds it to the code it
 * configures: ports, topics, addresses, environment names and files must agree, and nothing is
 * published beyond 127.0.0.1.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readGatewayConfig } from "@tollgate/gateway";
import { storeOptionsFromEnv } from "@tollgate/store";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";

const root = fileURLToPath(new URL("..", import.meta.url));
const compose = parse(readFileSync(`${root}/docker-compose.yml`, "utf8")) as {
  services: Record<
    string,
    { command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: object }
  >;
};
const { kafka, clickhouse, gateway, ingest } = compose.services;

function flag(command: string[] | undefined, name: string): string | undefined {
  const index = (command ?? []).indexOf(name);
  return index < 0 ? undefined : command?.[index + 1];
}

function published(ports: string[] | undefined): { host: string; hostPort: number; containerPort: number }[] {
  return (ports ?? []).map((mapping) => {
    const [host, hostPort, containerPort] = mapping.split(":");
    return { host: host as string, hostPort: Number(hostPort), containerPort: Number(containerPort) };
  });
}

describe("docker-compose.yml agrees with the services it runs", () => {
  test("every published port is on 127.0.0.1", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of published(service.ports))
        expect(port.host, `${name} publishes ${port.hostPort}`).toBe("127.0.0.1");
    }
  });

  test("gateway and ingest reach Kafka at its advertised internal listener, on the same topic", () => {
    const advertised = String(kafka?.environment?.KAFKA_ADVERTISED_LISTENERS).split(",");
    const internal = advertised
      .find((listener) => listener.startsWith("INTERNAL://"))
      ?.replace("INTERNAL://", "");
    expect(internal).toBe("kafka:19092");
    expect(flag(gateway?.command, "--kafka")).toBe(internal);
    expect(flag(ingest?.command, "--kafka")).toBe(internal);
    expect(flag(gateway?.command, "--kafka-topic")).toBe(flag(ingest?.command, "--kafka-topic"));
    expect(String(kafka?.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE)).toBe("false"); // topics are made explicitly
    const external = advertised
      .find((listener) => listener.startsWith("EXTERNAL://"))
      ?.replace("EXTERNAL://", "");
    expect(published(kafka?.ports).map((p) => `${p.host}:${p.hostPort}`)).toContain(external);
  });

  test("ingest's CLICKHOUSE_URL is what the store reads, and names the ClickHouse service, database and user", () => {
    const url = new URL(String(ingest?.environment?.CLICKHOUSE_URL));
    const env = clickhouse?.environment ?? {};
    expect(url.hostname).toBe("clickhouse");
    expect(url.port).toBe("8123");
    expect(url.pathname).toBe(`/${env.CLICKHOUSE_DB}`);
    expect(url.username).toBe(env.CLICKHOUSE_USER);
    expect(url.password).toBe(env.CLICKHOUSE_PASSWORD);
    expect(published(clickhouse?.ports).map((p) => p.containerPort)).toContain(8123);
    expect(storeOptionsFromEnv(".tollgate/clickhouse", { CLICKHOUSE_URL: url.toString() })).toEqual({
      url: url.toString(),
    });
  });

  test("the gateway listens where it is published, and its config loads with the tokens compose provides", async () => {
    const listen = flag(gateway?.command, "--listen") ?? "";
    const port = Number(listen.split(":").at(-1));
    expect(published(gateway?.ports)).toEqual([{ host: "127.0.0.1", hostPort: port, containerPort: port }]);
    const configFile = `${root}/${flag(gateway?.command, "--config")}`;
    expect(existsSync(configFile)).toBe(true);
    const config = await readGatewayConfig(configFile);
    const tokenEnvs = [...(config.agents ?? []), ...(config.admins ?? [])].map(
      (credential) => credential.token_env,
    );
    expect(tokenEnvs.length).toBeGreaterThan(0);
    for (const name of tokenEnvs) expect(Object.keys(gateway?.environment ?? {})).toContain(name);
    expect(existsSync(String(config.policy))).toBe(true);
  });

  test("services start after what they depend on is healthy", () => {
    expect(gateway?.depends_on).toEqual({ kafka: { condition: "service_healthy" } });
    expect(ingest?.depends_on).toEqual({
      kafka: { condition: "service_healthy" },
      clickhouse: { condition: "service_healthy" },
    });
  });
});
