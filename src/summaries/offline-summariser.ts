import { isCardNumber, placeholderForKey, redactString } from './redaction';

export const MAX_SUMMARY_CHARS = 280;
const MAX_VALUE_CHARS = 60;
const MAX_SEARCH_DEPTH = 3;
const MAX_NODES_VISITED = 500;

/**
 * The summary used without a model: deterministic, no network, at most 280 characters, one or
 * two sentences from the event type and the most telling fields of its (redacted) data.
 *
 *   invoice.paid { id: 'in_1', amount: 4200, currency: 'usd', status: 'paid', customer: 'cus_9' }
 *   → "Invoice paid: in_1, 4200 USD, customer cus_9. Status: paid."
 */
export function offlineSummary(type: string, data: Record<string, unknown>): string {
  // Redaction is applied to the few fields visited and taken, not to the whole payload: the
  // same rules as redact(), at a fraction of the cost on large events (this runs per publish).
  const fields = collectFields(isRecord(data) ? data : {});
  const details: string[] = [];
  const id = pick(fields, ID_KEYS) ?? pickSuffix(fields, '_id', 'Id', ['customer', 'user', 'account', 'tenant']);
  if (id) details.push(id);
  // A person's name is personal data: about people, only ids are named.
  const aboutPerson = PERSON_WORDS.has(humaniseType(type).split(' ')[0].toLowerCase());
  const title = pick(fields, aboutPerson ? TITLE_KEYS.filter((k) => k !== 'name') : TITLE_KEYS);
  if (title) details.push(`"${title}"`);
  const amount = formatAmount(fields);
  if (amount) details.push(amount);
  const customer = pick(fields, CUSTOMER_KEYS);
  if (customer && customer !== id) details.push(`customer ${customer}`);

  let first = humaniseType(type);
  if (details.length > 0) first += `: ${details.join(', ')}`;
  const status = pick(fields, STATUS_KEYS);
  const sentences = [`${first}.`];
  if (status) sentences.push(`Status: ${status}.`);
  return truncate(sentences.join(' '), MAX_SUMMARY_CHARS);
}

/** `invoice.paid` → "Invoice paid"; `customer.subscription_updated` → "Customer subscription updated". */
export function humaniseType(type: string): string {
  const words = type
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[._\-\s]+/)
    .map((w) => cleanText(w).toLowerCase())
    .filter((w) => w.length > 0);
  if (words.length === 0) return 'Event received';
  const text = truncate(words.join(' '), 120);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ID_KEYS = ['id', 'object_id', 'objectId', 'number', 'reference', 'ref'];
const TITLE_KEYS = ['title', 'name', 'subject', 'plan', 'product', 'event', 'action'];
const AMOUNT_KEYS = ['amount', 'amount_paid', 'amountPaid', 'amount_due', 'amountDue', 'total', 'price', 'amount_total', 'amountTotal', 'value'];
const CURRENCY_KEYS = ['currency', 'currency_code', 'currencyCode'];
const STATUS_KEYS = ['status', 'state', 'outcome', 'result'];
const PERSON_WORDS = new Set(['customer', 'user', 'contact', 'member', 'person', 'employee', 'account', 'subscriber', 'candidate', 'patient', 'lead', 'profile']);
// Objects describing people: only their id is taken, their other fields are not searched.
const PERSON_KEYS = new Set(['customer', 'user', 'contact', 'member', 'person', 'owner', 'recipient', 'sender', 'billing', 'shipping', 'address', 'billing_details', 'billingDetails', 'shipping_address', 'shippingAddress', 'billing_address', 'billingAddress', 'profile', 'author']);
const CUSTOMER_KEYS = ['customer', 'customer_id', 'customerId', 'account', 'account_id', 'accountId', 'user_id', 'userId'];

/** key → first scalar found for it, shallowest first (breadth-first), so `data.id` beats `data.items[0].id`. */
function collectFields(root: Record<string, unknown>): Map<string, string | number> {
  const fields = new Map<string, string | number>();
  const queue: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_NODES_VISITED) {
    const { node, depth } = queue.shift()!;
    visited++;
    if (Array.isArray(node)) {
      if (depth < MAX_SEARCH_DEPTH && node.length > 0) queue.push({ node: node[0], depth: depth + 1 });
      continue;
    }
    if (!isRecord(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      const placeholder = placeholderForKey(key);
      if (placeholder !== null) {
        if (value !== null && value !== '' && !fields.has(key)) fields.set(key, placeholder);
        continue;
      }
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
        if (!fields.has(key)) fields.set(key, value);
      } else if (isRecord(value) && (CUSTOMER_KEYS.includes(key) || PERSON_KEYS.has(key))) {
        if (CUSTOMER_KEYS.includes(key) && typeof value.id === 'string' && !fields.has(key)) fields.set(key, value.id);
      } else if (depth < MAX_SEARCH_DEPTH && value !== null && typeof value === 'object') {
        queue.push({ node: value, depth: depth + 1 });
      }
    }
  }
  return fields;
}

function pick(fields: Map<string, string | number>, keys: string[]): string | null {
  for (const key of keys) {
    const value = fields.get(key);
    if (value === undefined) continue;
    const text = cleanValue(value);
    if (text) return text;
  }
  return null;
}

function pickSuffix(fields: Map<string, string | number>, snake: string, camel: string, exclude: string[]): string | null {
  for (const [key, value] of fields) {
    if (!(key.endsWith(snake) || key.endsWith(camel)) || exclude.some((e) => key.toLowerCase().startsWith(e))) continue;
    const text = cleanValue(value);
    if (text) return text;
  }
  return null;
}

function formatAmount(fields: Map<string, string | number>): string | null {
  for (const key of AMOUNT_KEYS) {
    const value = fields.get(key);
    const amount = typeof value === 'number' ? String(value) : typeof value === 'string' && /^-?\d[\d,]*(\.\d+)?$/.test(value.trim()) ? value.trim() : null;
    if (amount === null || cleanValue(amount) !== amount) continue; // an "amount" that redaction would hide
    const currency = pick(fields, CURRENCY_KEYS);
    return currency && /^[A-Za-z]{3}$/.test(currency) ? `${amount} ${currency.toUpperCase()}` : amount;
  }
  return null;
}

function cleanValue(value: string | number): string | null {
  const redacted = typeof value === 'string' ? redactString(value) : Number.isInteger(value) && isCardNumber(String(Math.abs(value))) ? '[card]' : String(value);
  const text = truncate(cleanText(redacted), MAX_VALUE_CHARS);
  return text.length > 0 ? text : null;
}

/** One line of plain text: no control characters, markup or sentence breaks that would add sentences. */
function cleanText(text: string): string {
  return text
    .slice(0, 4 * MAX_VALUE_CHARS)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/[<>`*#"]/g, '')
    .replace(/[.!?]+(\s|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // Never split a surrogate pair.
  const safe = /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
  return `${safe.trimEnd()}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
