import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MlflowClient } from '../../src/tracking/mlflow_client';
import { trackingEndpoint } from '../../src/tracking/tracking_endpoint';
import { redactCredentials } from '../../src/util/redact_credentials';
import { BasicAuthProxy } from '../helpers/basic_auth_proxy';
import { CLI, ROOT } from '../helpers/env';
import { MlflowServer, startMlflowServer } from '../helpers/mlflow_server';
import { tinyRun } from '../helpers/tiny_run';

const USER = 'alice';
const PASSWORD = 'pw-s3cret-7Q';

/** The child's environment without any MLflow settings of the machine running the tests. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MLFLOW_'))), ...extra };
}

/** The CLI in a child, asynchronously: the proxy lives in this process and must keep answering. */
function cli(args: string[], childEnv: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', [CLI, ...args], { cwd: ROOT, env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Neither the password nor the basic-auth header that carries it appears anywhere under `dir`. */
function assertNoSecretIn(dir: string): void {
  const header = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  for (const f of filesUnder(dir)) {
    const bytes = fs.readFileSync(f);
    assert.ok(!bytes.includes(PASSWORD) && !bytes.includes(header), `${f} holds the password`);
  }
}

describe('a tracking URI with credentials', () => {
  let server: MlflowServer;
  let proxy: BasicAuthProxy;
  before(async () => {
    server = await startMlflowServer();
    proxy = new BasicAuthProxy(server.uri, USER, PASSWORD);
    await proxy.start();
  });
  after(async () => {
    await proxy.stop();
    await server.stop();
  });

  test('redaction and auth: user info becomes basic auth, never part of what is shown', () => {
    assert.equal(redactCredentials(`error at http://${USER}:${PASSWORD}@host:5000/x and https://u:p@h`), `error at http://${USER}:***@host:5000/x and https://u:***@h`);
    assert.equal(redactCredentials('"http://u:p@ss@host/api"'), '"http://u:***@host/api"');
    const e = trackingEndpoint(`http://${USER}:${encodeURIComponent('p@ss:w/rd')}@127.0.0.1:5000/`, {});
    assert.equal(e.base, 'http://127.0.0.1:5000');
    assert.equal(e.display, `http://${USER}:***@127.0.0.1:5000`);
    assert.equal(e.authorization, `Basic ${Buffer.from(`${USER}:p@ss:w/rd`).toString('base64')}`);
    assert.equal(trackingEndpoint('http://127.0.0.1:5000', { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'x' }).authorization, `Basic ${Buffer.from('bob:x').toString('base64')}`);
    assert.throws(() => trackingEndpoint(`http://${USER}:***@127.0.0.1:5000`, {}), /tracking\.mlflow_uri: the tracking URI's password was not saved .*set MLFLOW_TRACKING_PASSWORD/);
  });

  test('a run logs through basic auth, and the password is in no file of the run and no output line; --resume takes it from MLFLOW_TRACKING_PASSWORD', async () => {
    const r = tinyRun({ steps: 20, every: 10 });
    const runDir = path.join(r.dir, 'run');
    const uri = proxy.uri.replace('http://', `http://${USER}:${PASSWORD}@`);
    const redacted = proxy.uri.replace('http://', `http://${USER}:***@`);
    const p = await cli(['train', '--config', r.config, '--set', `tracking={mlflow_uri: "${uri}", experiment: it-auth, batch_every: 5}`], env());
    assert.equal(p.status, 0, p.stderr);
    for (const out of [p.stdout, p.stderr]) assert.ok(!out.includes(PASSWORD), `the password was printed:\n${out}`);
    assert.ok(p.stderr.includes(`tracking: MLflow ${redacted}`), p.stderr);
    assert.equal(proxy.refused, 0, 'every request carried the credentials');
    assert.ok(proxy.authorized > 0);
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.mlflow.uri, redacted);
    assert.ok(summary.mlflow.allSent, JSON.stringify(summary.mlflow));
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'config.resolved.json'), 'utf8')).tracking.mlflow_uri, redacted);
    const run = await new MlflowClient(server.uri).getRun(summary.mlflow.runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.data.params?.find((x) => x.key === 'tracking.mlflow_uri')?.value, redacted);
    assertNoSecretIn(runDir);

    // The saved config has no password: a resume without one is refused clearly, with one it logs again.
    let q = await cli(['train', '--resume', runDir], env());
    assert.equal(q.status, 2, q.stderr);
    assert.match(q.stderr, /tracking\.mlflow_uri: the tracking URI's password was not saved .*MLFLOW_TRACKING_PASSWORD/);
    const before = proxy.authorized;
    q = await cli(['train', '--resume', runDir], env({ MLFLOW_TRACKING_PASSWORD: PASSWORD }));
    assert.equal(q.status, 0, q.stderr);
    assert.equal(proxy.refused, 0);
    assert.ok(proxy.authorized > before, 'the resumed run reached the server');
    for (const out of [q.stdout, q.stderr]) assert.ok(!out.includes(PASSWORD), `the password was printed:\n${out}`);
    assertNoSecretIn(runDir);
  });
});
