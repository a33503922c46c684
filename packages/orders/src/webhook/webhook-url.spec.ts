import { isPrivateAddress, webhookUrlProblem } from "./webhook-url";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "64:ff9b::10.0.0.1",
    "2002:a00:1::1",
    "[::1]",
    "not-an-ip",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "allows %s",
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});

describe("webhookUrlProblem", () => {
  const strict = { allowPrivate: false, requireHttps: false };

  it("allows a public URL, and a private one only when allowed", () => {
    expect(webhookUrlProblem("https://hooks.partner.example/honour?x=1", strict)).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:9999/hooks", strict)).toMatch(/private/);
    expect(webhookUrlProblem("http://127.0.0.1:9999/hooks", { ...strict, allowPrivate: true })).toBeNull();
    expect(webhookUrlProblem("http://partner.example/", { ...strict, requireHttps: true })).toMatch(/https/);
    expect(webhookUrlProblem("http://intranet/hooks", strict)).toMatch(/fully qualified/);
    expect(webhookUrlProblem(`https://partner.example/${"a".repeat(2000)}`, strict)).toMatch(/at most/);
  });
});
