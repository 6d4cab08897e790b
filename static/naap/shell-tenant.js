/**
 * The tenant and team of a plugin's context (the SDK's ITenantService and ITeamContext),
 * answered from the shell's bootstrap and the teams the shell frame's page passes
 * (docs/shell-runtime.md, "createPluginContext"). Imported by shell-context.js; no globals.
 *
 * @module naap/shell-tenant
 */

import { frozenCopy } from "./shell-events.js";
import { PermissionDeniedError, ShellServiceError } from "./shell-services.js";

// How the API shows a secret setting that is set (installs.config_secrets.MASK).
const MASK = "********";

/** The config the API answered, with each masked secret put back: the value the plugin
 * sent, or the one it had (the plugin's own config keeps its secrets). */
function unmasked(answered, sent, before) {
  const config = {};
  for (const [key, value] of Object.entries(answered || {})) {
    if (value !== MASK) config[key] = value;
    else config[key] = key in sent && sent[key] !== MASK ? sent[key] : before[key];
  }
  return config;
}

// Team permissions by our team roles (installs.models.TeamRole), in upstream's words.
const TEAM_PERMISSIONS = {
  admin: ["members.manage", "members.invite", "plugins.install", "plugins.uninstall", "plugins.configure", "access.manage", "plugins.use"],
  member: ["plugins.use", "plugins.configure.personal"],
};

function teamView(team) {
  return {
    id: String(team.id),
    name: team.displayName || team.name,
    slug: team.name,
    description: null,
    avatarUrl: null,
    ownerId: null,
    createdAt: null,
    updatedAt: null,
  };
}

/** The SDK's ITeamContext, from the teams the shell frame's page passed (with the person's
 * role); a plugin installed through a team starts in that team. */
export function teamFor(person, installation, told, state) {
  const teams = person.teams;
  let current = teams.find((team) => installation && team.id === installation.teamId) || null;
  const member = () =>
    current && {
      id: `${current.id}:${person.id}`,
      teamId: String(current.id),
      userId: person.id,
      role: current.role,
      invitedBy: null,
      joinedAt: null,
      user: { id: person.id, email: null, displayName: person.displayName, avatarUrl: null },
    };
  // What the SDK's useTeam() listens for: `team:change` {teamId, team, member}.
  const teamChange = () => ({
    teamId: current ? String(current.id) : null,
    team: current ? teamView(current) : null,
    member: member() || null,
  });
  // The plugin's `team:change` payload, given to each new listener of that event.
  state.now = () => (current ? teamChange() : undefined);
  return {
    get currentTeam() {
      return current ? frozenCopy(teamView(current)) : null;
    },
    get currentMember() {
      return current ? frozenCopy(member()) : null;
    },
    get isTeamContext() {
      return current !== null;
    },
    get memberRole() {
      return current ? current.role : null;
    },
    hasTeamPermission: (permission) =>
      Boolean(current) && (TEAM_PERMISSIONS[current.role] || []).includes(String(permission)),
    /** Switch this plugin's team to one of the person's teams, or to none (null). */
    async setCurrentTeam(teamId) {
      if (teamId === null || teamId === undefined) {
        current = null;
      } else {
        const found = teams.find((team) => String(team.id) === String(teamId));
        if (!found) throw new PermissionDeniedError(`You are not a member of team ${teamId}.`, "team", "read");
        current = found;
      }
      told(teamChange());
    },
    /** Team facts come with the shell's page: they are as fresh as its last load. */
    async refreshTeam() {},
  };
}

function installationView(entry, ownName, person) {
  const manifest = entry.manifest || {};
  const own = entry.name === ownName;
  return {
    id: entry.name,
    userId: person.id,
    deploymentId: `${entry.name}@${manifest.version}`,
    status: "active",
    enabled: Boolean(entry.enabled),
    order: entry.order ?? 0,
    pinned: Boolean(entry.pinned),
    installedAt: null,
    teamId: entry.teamId === undefined ? null : String(entry.teamId),
    ...(own ? { config: { settings: structuredClone(entry.config || {}) } } : {}),
    deployment: {
      id: `${entry.name}@${manifest.version}`,
      packageId: entry.name,
      versionId: `${entry.name}@${manifest.version}`,
      status: "active",
      frontendUrl: manifest.bundleUrl || null,
      backendUrl: null,
      healthStatus: null,
      package: {
        name: entry.name,
        displayName: entry.displayName || manifest.displayName || entry.name,
        icon: manifest.icon || null,
        category: manifest.category || "other",
      },
      version: { version: manifest.version, manifest: structuredClone(manifest) },
    },
  };
}

/** The SDK's ITenantService over the shell's bootstrap: installation ids are plugin names;
 * a plugin reads and changes only its own config. */
export function tenantFor(name, person, api, installationsOf) {
  const all = () => installationsOf().map((entry) => installationView(entry, name, person));
  const find = (id) => all().find((installation) => installation.id === String(id)) || null;
  const ownOnly = (id, verb) => {
    if (String(id) !== name) {
      throw new PermissionDeniedError(`${name} may ${verb} only its own config, not ${id}'s.`, "config", verb);
    }
    return installationsOf().find((entry) => entry.name === name) || null;
  };
  const elsewhere = (what) => () =>
    Promise.reject(new ShellServiceError(`${what} is done on the marketplace's pages (My plugins), not from a plugin.`));
  return {
    listInstallations: async () => all(),
    getInstallation: async (id) => find(id),
    getInstallationByPlugin: async (pluginName) => find(pluginName),
    hasPlugin: async (pluginName) => find(pluginName) !== null,
    async getConfig(id) {
      const entry = ownOnly(id, "read");
      return { settings: structuredClone((entry && entry.config) || {}) };
    },
    /** PUT /api/v1/plugins/<name>/config with the plugin's token: the person (or, for a
     * team's installation, its admin) changes the plugin's config. */
    async updateConfig(id, config) {
      const entry = ownOnly(id, "change");
      if (!entry) throw new ShellServiceError(`${name} is not installed here, so it has no config to change.`);
      const body = { config: (config && config.settings) || {} };
      if (entry.teamId !== undefined) body.teamId = entry.teamId;
      const answer = await api.put("config", body);
      entry.config = unmasked(answer.data.config, body.config, entry.config || {});
      return { settings: structuredClone(entry.config) };
    },
    install: elsewhere("Installing a plugin"),
    uninstall: elsewhere("Uninstalling a plugin"),
    updatePreferences: elsewhere("Changing a plugin's preferences"),
  };
}
