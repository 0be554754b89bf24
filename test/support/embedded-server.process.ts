/**
 * Child process for the crash-recovery test: starts an embedded cluster in the given folder,
 * says READY, and waits to be killed without any chance to clean up.
 */
import { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';

const [dataDir, port] = process.argv.slice(2);
await EmbeddedDatabase.start({ dataDir, port: Number(port) });
process.stdout.write('READY\n');
setInterval(() => undefined, 60_000);
