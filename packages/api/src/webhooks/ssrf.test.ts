import { describe, expect, it } from "vitest";
import { checkTarget, checkUrlShape, classifyAddress, type Resolver, refusalReason } from "./ssrf";

const answers =
  (map: Record<string, string[]>): Resolver =>
  async (host) => {
    const list = map[host];
    if (!list) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

async function reason(url: string, resolver: Resolver, allowLoopback = false) {
  try {
    await checkTarget(url, { allowLoopback, resolver });
    return "allowed";
  } catch (err) {
    return refusalReason(err) ?? `other: ${(err as Error).message}`;
  }
}

describe("webhook targets (SSRF)", () => {
  const privateAddresses = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.100.100.200", // Alibaba Cloud metadata (CGNAT range)
    "100.127.255.254",
    "169.254.169.254", // AWS/GCP/Azure metadata
    "169.254.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.10",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::ffff:10.0.0.1", // IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe", // the same, in hex groups
    "::ffff:192.168.0.1",
    "::10.0.0.1", // IPv4-compatible
    "::8.8.8.8",
    "64:ff9b::a9fe:a9fe", // NAT64 to the metadata address
    "64:ff9b:1::1",
    "2002:a9fe:a9fe::1", // 6to4 of the metadata address
    "2002:c0a8:0101::1",
    "fc00::1",
    "fd00:ec2::254", // AWS metadata over IPv6
    "fe80::1",
    "fe80::1%eth0",
    "febf::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "2001::1", // Teredo
    "2001:10::1",
    "100::1",
    "4000::1", // outside global unicast
  ];

  it("classifies every private, link-local, CGNAT, metadata and reserved range as private", () => {
    const wrong = privateAddresses.filter((a) => classifyAddress(a) !== "private");
    expect(wrong).toEqual([]);
  });

  it("classifies loopback apart (IPv4, IPv6 and IPv4-mapped IPv6)", () => {
    for (const a of ["127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"])
      expect(classifyAddress(a), a).toBe("loopback");
  });

  it("takes public addresses as public", () => {
    for (const a of [
      "8.8.8.8",
      "1.1.1.1",
      "100.63.255.255",
      "100.128.0.1",
      "172.15.255.255",
      "172.32.0.1",
      "2606:4700:4700::1111",
      "2a00:1450:4001:80b::200e",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "2002:0808:0808::1",
    ])
      expect(classifyAddress(a), a).toBe("public");
    expect(classifyAddress("not-an-ip")).toBe("invalid");
  });

  it("refuses a host whose DNS answer points at a private address, even among public ones", async () => {
    const resolver = answers({
      "hooks.example.com": ["93.184.215.14"],
      "metadata.attacker.example": ["169.254.169.254"],
      "mixed.attacker.example": ["93.184.215.14", "10.1.2.3"],
      "v6.attacker.example": ["fd00::5"],
      "mapped.attacker.example": ["::ffff:127.0.0.1"],
    });
    expect(await reason("https://hooks.example.com/in", resolver)).toBe("allowed");
    expect(await reason("https://metadata.attacker.example/", resolver)).toBe("private_address");
    expect(await reason("https://mixed.attacker.example/", resolver)).toBe("private_address");
    expect(await reason("https://v6.attacker.example/", resolver)).toBe("private_address");
    expect(await reason("https://mapped.attacker.example/", resolver)).toBe("loopback_address");
    expect(await reason("https://nowhere.example/", resolver)).toBe("unresolved");
  });

  it("refuses literal private addresses in the URL without asking DNS", async () => {
    const resolver: Resolver = async () => {
      throw new Error("must not resolve a literal");
    };
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:169.254.169.254]/",
      "http://[fd00:ec2::254]/",
      "http://10.0.0.1:8080/",
      "http://0x7f000001/", // WHATWG URL parsing turns this into 127.0.0.1
      "http://2130706433/",
    ])
      expect(await reason(url, resolver), url).toMatch(/private_address|loopback_address/);
  });

  it("allows loopback only with the explicit setting", async () => {
    const resolver = answers({ localhost: ["127.0.0.1", "::1"] });
    expect(await reason("http://localhost:4000/hook", resolver)).toBe("loopback_address");
    expect(await reason("http://localhost:4000/hook", resolver, true)).toBe("allowed");
    expect(await reason("http://[::1]:4000/hook", resolver, true)).toBe("allowed");
    // the setting opens loopback, nothing else
    expect(await reason("http://10.0.0.1:4000/hook", resolver, true)).toBe("private_address");
  });

  it("connects to the checked address: the target carries it", async () => {
    const t = await checkTarget("https://hooks.example.com/in?x=1", {
      allowLoopback: false,
      resolver: answers({ "hooks.example.com": ["93.184.215.14"] }),
    });
    expect(t).toMatchObject({ host: "hooks.example.com", address: "93.184.215.14", family: 4, port: 443 });
  });

  it("takes http and https only, no credentials, and the port policy", () => {
    const shape = (u: string) => {
      try {
        checkUrlShape(u);
        return "ok";
      } catch (err) {
        return refusalReason(err);
      }
    };
    expect(shape("ftp://example.com/")).toBe("scheme");
    expect(shape("file:///etc/passwd")).toBe("scheme");
    expect(shape("gopher://example.com:70/")).toBe("scheme");
    expect(shape("not a url")).toBe("scheme");
    expect(shape("https://user:pw@example.com/")).toBe("credentials");
    expect(shape("http://example.com:22/")).toBe("port");
    expect(shape("http://example.com:25/")).toBe("port");
    expect(shape("https://example.com:0/")).toBe("port");
    expect(shape("https://example.com/")).toBe("ok");
    expect(shape("http://example.com:80/")).toBe("ok");
    expect(shape("https://example.com:8443/")).toBe("ok");
  });
});
