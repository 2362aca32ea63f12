/** PostgreSQL WAL positions (`pg_lsn` text form `X/Y`, two hexadecimal halves of a 64-bit byte position). */
export function lsnToBigInt(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!match) throw new Error(`not a WAL position: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** True when `position` is at or past `target`. */
export function lsnReached(position: string, target: string): boolean {
  return lsnToBigInt(position) >= lsnToBigInt(target);
}

/** Bytes from `position` up to `target` (0 when reached). */
export function lsnBytesBehind(position: string, target: string): bigint {
  const gap = lsnToBigInt(target) - lsnToBigInt(position);
  return gap > 0n ? gap : 0n;
}
