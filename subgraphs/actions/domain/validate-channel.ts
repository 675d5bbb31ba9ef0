import { FIELD_LIMITS } from '../../common/limits';

import { CHANNEL_KINDS, type ChannelKind } from './channel';

/** Event types a webhook channel can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['alert.raised'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Webhook channel: where to POST, what to send there, which private hosts it may reach. */
export interface WebhookChannelConfig {
  url: string;
  /** Event types delivered to it without a playbook (e.g. every raised alert). Default none. */
  subscribe: WebhookEventType[];
  /** Host names or IPs this channel may reach although they are private (SSRF allow-list). */
  allowedHosts: string[];
}

/** Email channel: an SMTP server and the sender. The password is the channel's secret. */
export interface EmailChannelConfig {
  host: string;
  port: number;
  /** TLS from the start (port 465); false: STARTTLS when offered. */
  secure: boolean;
  /** SMTP user; null: no authentication. */
  username: string | null;
  from: string;
  /** Add an open pixel and rewrite links through the tracking routes. Default false. */
  tracking: boolean;
}

/**
 * SMS channel: a Twilio-shaped HTTP API (`{baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`).
 * The auth token is the channel's secret.
 */
export interface SmsChannelConfig {
  baseUrl: string;
  accountSid: string;
  from: string;
  allowedHosts: string[];
}

/** Push channel: a JSON POST to a provider endpoint with the secret as bearer token. */
export interface PushChannelConfig {
  url: string;
  allowedHosts: string[];
}

/** Settings every kind may carry. */
export interface ChannelCost {
  /** What one message sent on the channel costs, in the tenant's currency (for a playbook's cost and ROI). Absent: 0. */
  costPerMessage?: number;
}

export type ChannelConfig = (WebhookChannelConfig | EmailChannelConfig | SmsChannelConfig | PushChannelConfig) & ChannelCost;

/** Largest cost per message accepted: beyond it a typo is likelier than a price. */
export const MAX_COST_PER_MESSAGE = 1000;

/** A channel as an administrator describes it (the GraphQL input). */
export interface ChannelDraft {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  /** A new secret: the value itself, or `env:NAME` to read it from the environment. */
  secret?: string | null;
}

export interface ValidChannel {
  name: string;
  kind: ChannelKind;
  config: ChannelConfig;
  secret: string | null;
}

export interface ChannelProblem {
  /** Path of the field in error, e.g. `config.url`. */
  field: string;
  message: string;
}

const NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,${FIELD_LIMITS.channelNameLength - 1}}$`);
const ENV_REF = /^env:[A-Z_][A-Z0-9_]*$/;
/** `whsec_` and base64 of 24 to 64 bytes (the Standard Webhooks secret format). */
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const HOST = /^[A-Za-z0-9.:[\]-]{1,253}$/;

/** True when `secret` names an environment variable instead of holding the value. */
export function isEnvSecretRef(secret: string): boolean {
  return ENV_REF.test(secret);
}

/**
 * Checks a channel draft: name, kind, the kind's config and the secret. Returns the normalised
 * channel, or every problem found with the field it concerns (nothing thrown). A webhook secret
 * must have the Standard Webhooks form `whsec_<base64>`; any secret may be `env:NAME` instead.
 */
export function validateChannel(draft: ChannelDraft, opts: { secretRequired: boolean }): { channel: ValidChannel | null; problems: ChannelProblem[] } {
  const problems: ChannelProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (typeof draft.name !== 'string' || !NAME.test(draft.name)) add('name', `must be 1–${FIELD_LIMITS.channelNameLength} letters, digits, \`_\`, \`.\` or \`-\`, starting with a letter or digit`);
  const kind = CHANNEL_KINDS.find((k) => k === draft.kind) ?? null;
  if (!kind) add('kind', `must be one of ${CHANNEL_KINDS.join(', ')}`);
  const raw = draft.config && typeof draft.config === 'object' && !Array.isArray(draft.config) ? draft.config : null;
  if (!raw) add('config', 'must be an object');
  const secret = draft.secret ?? null;
  if (secret !== null) checkSecret(kind, secret, add);
  else if (opts.secretRequired && kind !== 'email') add('secret', `is required for a ${kind ?? 'channel'}`);
  if (!kind || !raw) return { channel: null, problems };
  const kindConfig = configOf(kind, raw, add);
  const cost = raw.costPerMessage;
  if (cost !== undefined && cost !== null && !(typeof cost === 'number' && cost >= 0 && cost <= MAX_COST_PER_MESSAGE)) add('config.costPerMessage', `must be a number from 0 to ${MAX_COST_PER_MESSAGE}`);
  if (problems.length || !kindConfig) return { channel: null, problems };
  const config: ChannelConfig = typeof cost === 'number' ? { ...kindConfig, costPerMessage: cost } : kindConfig;
  return { channel: { name: draft.name, kind, config, secret }, problems };
}

/** Checks a new secret for a channel of `kind` (the rotation input); problems name `secret`. */
export function validateChannelSecret(kind: ChannelKind, secret: string): ChannelProblem[] {
  const problems: ChannelProblem[] = [];
  checkSecret(kind, secret, (field, message) => problems.push({ field, message }));
  return problems;
}

function checkSecret(kind: ChannelKind | null, secret: string, add: (field: string, message: string) => void): void {
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > 4096) return add('secret', 'must be a non-empty string of at most 4096 characters');
  if (isEnvSecretRef(secret)) return;
  if (secret.startsWith('env:')) return add('secret', 'an environment reference must look like env:NAME (upper-case letters, digits, `_`)');
  if (kind === 'webhook' && !WEBHOOK_SECRET.test(secret)) add('secret', 'a webhook secret must be `whsec_` followed by base64 of 24 to 64 random bytes');
}

function configOf(kind: ChannelKind, raw: Record<string, unknown>, add: (field: string, message: string) => void): ChannelConfig | null {
  const known = KNOWN_KEYS[kind];
  for (const key of Object.keys(raw)) if (!known.includes(key)) add(`config.${key}`, `is not a ${kind} setting (known: ${known.join(', ')})`);
  switch (kind) {
    case 'webhook':
      return {
        url: httpUrl(raw.url, 'config.url', add),
        subscribe: stringList(raw.subscribe, 'config.subscribe', add, (v) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(v), `one of ${WEBHOOK_EVENT_TYPES.join(', ')}`) as WebhookEventType[],
        allowedHosts: hostList(raw.allowedHosts, add),
      };
    case 'email': {
      const port = raw.port ?? 587;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) add('config.port', 'must be a whole number from 1 to 65535');
      if (typeof raw.host !== 'string' || !HOST.test(raw.host)) add('config.host', 'must be a host name or IP address');
      if (typeof raw.from !== 'string' || !EMAIL.test(raw.from.replace(/^.*<(.+)>\s*$/, '$1'))) add('config.from', 'must be an email address (optionally `Name <address>`)');
      if (raw.username !== undefined && raw.username !== null && (typeof raw.username !== 'string' || raw.username.length === 0)) add('config.username', 'must be a non-empty string or null');
      return {
        host: String(raw.host),
        port: Number(port),
        secure: bool(raw.secure, 'config.secure', add),
        username: (raw.username as string | null | undefined) ?? null,
        from: String(raw.from),
        tracking: bool(raw.tracking, 'config.tracking', add),
      };
    }
    case 'sms':
      if (typeof raw.accountSid !== 'string' || !new RegExp(`^[A-Za-z0-9_-]{1,${FIELD_LIMITS.accountSidLength}}$`).test(raw.accountSid)) {
        add('config.accountSid', `must be 1–${FIELD_LIMITS.accountSidLength} letters, digits, \`_\` or \`-\``);
      }
      if (typeof raw.from !== 'string' || raw.from.length === 0 || raw.from.length > 64) add('config.from', 'must be the sender number or id (1–64 characters)');
      return {
        baseUrl: httpUrl(raw.baseUrl ?? 'https://api.twilio.com', 'config.baseUrl', add).replace(/\/+$/, ''),
        accountSid: String(raw.accountSid),
        from: String(raw.from),
        allowedHosts: hostList(raw.allowedHosts, add),
      };
    case 'push':
      return { url: httpUrl(raw.url, 'config.url', add), allowedHosts: hostList(raw.allowedHosts, add) };
  }
}

const KNOWN_KEYS: Record<ChannelKind, string[]> = {
  webhook: ['url', 'subscribe', 'allowedHosts', 'costPerMessage'],
  email: ['host', 'port', 'secure', 'username', 'from', 'tracking', 'costPerMessage'],
  sms: ['baseUrl', 'accountSid', 'from', 'allowedHosts', 'costPerMessage'],
  push: ['url', 'allowedHosts', 'costPerMessage'],
};

function httpUrl(value: unknown, field: string, add: (field: string, message: string) => void): string {
  if (typeof value !== 'string') {
    add(field, 'must be an http(s) URL');
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    add(field, 'must be an http(s) URL');
    return value;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') add(field, 'must use http or https');
  if (url.username || url.password) add(field, 'must not carry credentials (use the secret)');
  return value;
}

function bool(value: unknown, field: string, add: (field: string, message: string) => void): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') add(field, 'must be true or false');
  return value === true;
}

function stringList(value: unknown, field: string, add: (field: string, message: string) => void, ok: (v: string) => boolean, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    add(field, 'must be a list');
    return [];
  }
  value.forEach((v, i) => {
    if (typeof v !== 'string' || !ok(v)) add(`${field}[${i}]`, `must be ${what}`);
  });
  return [...new Set(value.filter((v): v is string => typeof v === 'string'))];
}

function hostList(value: unknown, add: (field: string, message: string) => void): string[] {
  return stringList(value, 'config.allowedHosts', add, (v) => HOST.test(v), 'a host name or IP address').map((h) => h.toLowerCase());
}
