"""Manifests and bundles the validation tests share."""

# A real-world NaaP manifest: isCore false, list dependencies, permissions.browser,
# string RBAC permissions and a config schema.
GATEWAY_MANAGER = {
    "$schema": "https://naap.dev/schemas/plugin.json",
    "name": "gateway-manager",
    "displayName": "Gateway Manager",
    "version": "1.4.0",
    "description": "Manage gateways",
    "author": {"name": "NaaP", "email": "team@naap.dev"},
    "category": "operations",
    "icon": "Server",
    "isCore": False,
    "keywords": ["gateway", "ops"],
    "shell": {"minVersion": "0.1.0"},
    "dependencies": ["wallet"],
    "frontend": {
        "entry": "./frontend/src/App.tsx",
        "devPort": 3010,
        "routes": ["/plugins/gateway-manager", "/plugins/gateway-manager/*"],
        "navigation": {"label": "Gateways", "icon": "Server", "order": 3, "group": "operations"},
    },
    "backend": {
        "entry": "./backend/src/server.ts",
        "port": 4010,
        "apiPrefix": "/api/v1/gateway-manager",
    },
    "database": {"type": "postgresql", "schema": "plugin_gateway_manager"},
    "permissions": {
        "shell": ["navigation", "notifications"],
        "apis": ["/api/v1/gateways"],
        "external": ["https://api.example.com"],
        "browser": ["clipboard"],
    },
    "rbac": {"roles": ["gateway:admin"], "permissions": ["gateway:read", "gateway:write"]},
    "config": {
        "schema": {
            "type": "object",
            "properties": {"refreshSeconds": {"type": "integer", "minimum": 5}},
        }
    },
}

MINIMAL = {
    "name": "my-wallet",
    "displayName": "My Wallet",
    "version": "1.0.0",
    "frontend": {"routes": ["/plugins/my-wallet", "/plugins/my-wallet/*"]},
}

PLAIN_WINDOW = b"window.NaapPluginMyWallet = { mount(el) { el.append('x'); } };"
