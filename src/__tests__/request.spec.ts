import { ServerConnection } from '@jupyterlab/services';
import { ArielClient, ArielRequestError, describeError } from '../request';

type Reply = Response | Error;

/** A client whose fetch answers from a queue; each call takes the next reply. */
function clientWith(replies: Reply[]): { client: ArielClient; urls: string[] } {
  const urls: string[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    urls.push(String(input instanceof Request ? input.url : input));
    const reply = replies.shift();
    if (!reply) {
      throw new Error('no reply left');
    }
    if (reply instanceof Error) {
      throw reply;
    }
    return reply;
  };
  const settings = ServerConnection.makeSettings({ baseUrl: 'http://localhost:8888/lab-base/', fetch });
  return { client: new ArielClient(settings), urls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('ArielClient', () => {
  it("asks under ariel/ with the query's defined parameters, encoded", async () => {
    const { client, urls } = clientWith([json(200, { ok: true })]);
    await expect(client.request('images', { query: { path: 'a b/c', mode: undefined } })).resolves.toEqual({
      ok: true
    });
    // Jupyter's request helper adds a cache-buster to GETs.
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/^http:\/\/localhost:8888\/lab-base\/ariel\/images\?path=a%20b%2Fc(&\d+)?$/);
  });

  it("rejects a non-2xx answer with the server's code, message and hint", async () => {
    const { client } = clientWith([
      json(409, { code: 'image-in-use', message: 'A container uses x:1.', hint: 'Stop it first.' })
    ]);
    const error = await client.request('images/x', { method: 'DELETE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArielRequestError);
    expect(error).toMatchObject({ code: 'image-in-use', message: 'A container uses x:1.', hint: 'Stop it first.' });
    expect((error as ArielRequestError).response.status).toBe(409);
    expect(describeError(error)).toBe('A container uses x:1. Stop it first.');
  });

  it('calls a 404 without Ariel\'s body "companion-unavailable": the server extension is not loaded', async () => {
    const { client } = clientWith([new Response('<html>Not Found</html>', { status: 404 })]);
    const error = (await client.request('project').catch((e: unknown) => e)) as ArielRequestError;
    expect(error.code).toBe('companion-unavailable');
    expect(error.unavailable).toBe(true);
  });

  it('calls another answer without a body "http-error", with its status in the message', async () => {
    const { client } = clientWith([new Response('', { status: 502, statusText: 'Bad Gateway' })]);
    const error = (await client.request('project').catch((e: unknown) => e)) as ArielRequestError;
    expect(error.code).toBe('http-error');
    expect(error.message).toBe('502 Bad Gateway');
    expect(error.unavailable).toBe(false);
  });

  it('signals a lost connection once per outage, and its return on the first answer after', async () => {
    const { client } = clientWith([
      new TypeError('Failed to fetch'),
      json(503, { code: 'companion-unavailable', message: 'The companion server is not running.' }),
      json(200, {}),
      json(200, {})
    ]);
    const failures: Error[] = [];
    let restored = 0;
    client.connectionFailure.connect((_, error) => failures.push(error));
    client.connectionRestored.connect(() => restored++);

    const network = await client.request('project').catch((e: unknown) => e);
    expect(network).toBeInstanceOf(ServerConnection.NetworkError);
    expect(describeError(network)).toMatch(/Jupyter Server does not answer/);
    await expect(client.request('project')).rejects.toMatchObject({ code: 'companion-unavailable' });
    expect(failures).toHaveLength(2);
    expect(restored).toBe(0);

    await client.request('project');
    await client.request('project');
    expect(restored).toBe(1);
  });

  it("counts an error answer from the companion as the connection's return", async () => {
    const { client } = clientWith([
      new TypeError('Failed to fetch'),
      json(400, { code: 'usage', message: 'Unknown mode "x".', hint: 'Use one of: shell, notebook.' })
    ]);
    let restored = 0;
    client.connectionRestored.connect(() => restored++);
    await client.request('project').catch(() => undefined);
    await expect(client.request('dockerfile')).rejects.toMatchObject({ code: 'usage' });
    expect(restored).toBe(1);
  });
});
