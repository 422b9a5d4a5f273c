import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Companion } from '../testing/companion.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';

// Index URLs may carry a user and a token. Whatever the companion answers, valid config or not,
// from a project's config, the user config or the ARIEL_* variables, quotes them masked.

after(removeTempProjects);

const SECRETS = /S3CRETPW4|carol|T0KENVALID|alice|EXTRAPW|bob|USERPW|erin|ENVPW|dave/;

/** Starts a companion on `root` with `env` added to its environment. */
async function companionWith(root: string, env: Record<string, string>): Promise<Companion> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const companion = new Companion(root);
    await companion.start();
    return companion;
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = saved[key];
      }
    }
  }
}

/** Every answer a user sees for a project: the sidebar's summary, its Dockerfile, images and cloud preview. */
async function answersFor(companion: Companion, folder: string): Promise<string[]> {
  const path = encodeURIComponent(folder);
  const answers = await Promise.all([
    companion.request('GET', `/project?path=${path}`),
    companion.request('GET', `/dockerfile?path=${path}&mode=notebook`),
    companion.request('GET', `/images?path=${path}`),
    companion.request('POST', '/cloud/preview', { path: folder, target: 'train.py' })
  ]);
  return answers.map(answer => JSON.stringify(answer.body));
}

describe('credentials in the companion server’s answers', () => {
  const root = tempProject({});
  const userConfigDir = mkdtempSync(join(tmpdir(), 'ariel-user-config-'));
  let companion: Companion;

  before(async () => {
    companion = await companionWith(root, { ARIEL_CONFIG_DIR: userConfigDir });
  });
  after(() => companion.stop());

  for (const [what, build] of [
    ['a pip_index_url with a space', { pip_index_url: 'ftp://carol:S3CRETPW4@bad host/simple' }],
    ['a pip_extra_index_url string with a quote', { pip_extra_index_url: 'https://bob:EXTRAPW@h/simple"' }],
    ['a pip_extra_index_url list entry without a scheme', { pip_extra_index_url: ['bob:EXTRAPW@h/simple'] }]
  ] as const) {
    it(`masks ${what} in every error that quotes it`, async () => {
      const folder = `bad-${what.replace(/\W+/g, '-')}`;
      writeFiles(join(root, folder), { '.ariel.json': JSON.stringify({ build }), 'train.py': '' });
      const answers = await answersFor(companion, folder);
      for (const answer of answers) {
        assert.doesNotMatch(answer, SECRETS);
      }
      // The error is still there, and says where.
      assert.match(answers[0], /config-invalid/);
      assert.match(answers[0], /\*\*\*@/);
    });
  }

  it('masks valid credentials of both index keys in the project summary', async () => {
    writeFiles(join(root, 'good'), {
      '.ariel.json': JSON.stringify({
        build: {
          pip_index_url: 'https://alice:T0KENVALID@mirror.example/simple',
          pip_extra_index_url: ['https://bob:EXTRAPW@extra.example/simple', 'https://erin@third.example/simple']
        }
      })
    });
    const { status, body } = await companion.request<{ config: { build: Record<string, unknown> } }>(
      'GET',
      '/project?path=good'
    );
    assert.equal(status, 200);
    assert.deepEqual(body.config.build.pipIndexUrl, 'https://***@mirror.example/simple');
    assert.deepEqual(body.config.build.pipExtraIndexUrls, [
      'https://***@extra.example/simple',
      'https://***@third.example/simple'
    ]);
    assert.doesNotMatch(JSON.stringify(body), SECRETS);
  });

  it('masks credentials of the user config, valid or not', async () => {
    writeFiles(join(root, 'plain'), { 'train.py': '' });
    const config = join(userConfigDir, 'config.json');
    for (const build of [
      { pip_extra_index_url: 'https://erin:USERPW@h/simple https://erin:USERPW@bad host' },
      { pip_index_url: 'https://erin:USERPW@h/simple', pip_extra_index_url: ['https://erin:USERPW@g/simple'] }
    ]) {
      writeFileSync(config, JSON.stringify({ build }));
      for (const answer of await answersFor(companion, 'plain')) {
        assert.doesNotMatch(answer, SECRETS);
      }
    }
    writeFileSync(config, '{}');
  });
});

describe('credentials of the ARIEL_* variables', () => {
  const root = tempProject({ 'train.py': '' });
  let companion: Companion;
  before(async () => {
    companion = await companionWith(root, {
      ARIEL_PIP_INDEX_URL: 'ftp://dave:ENVPW@bad host/simple',
      ARIEL_PIP_EXTRA_INDEX_URL: 'https://dave:ENVPW@h/simple "https://dave:ENVPW@g/simple'
    });
  });
  after(() => companion.stop());

  it('are masked in the errors that quote them', async () => {
    const answers = await answersFor(companion, '');
    assert.match(answers[1], /ARIEL_PIP_(EXTRA_)?INDEX_URL/);
    for (const answer of answers) {
      assert.doesNotMatch(answer, SECRETS);
    }
  });
});
