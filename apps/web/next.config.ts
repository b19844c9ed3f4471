import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Workspace packages ship TypeScript source; Next must compile them.
  transpilePackages: [
    "@nchat/config",
    "@nchat/db",
    "@nchat/api",
    "@nchat/billing",
    "@nchat/protocol",
    "@nchat/ui",
  ],
  poweredByHeader: false,
  // Tenant hosts in development are <slug>.localhost.
  allowedDevOrigins: ["*.localhost"],
  reactStrictMode: true,
};

export default nextConfig;
