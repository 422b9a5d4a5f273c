import type Docker from 'dockerode';

/**
 * Removes the engine's images of a test registry (`prefix` is `HOST:PORT/` or a repository in
 * it): the tags pushed and the copies the Vertex AI emulator pulled by digest.
 */
export async function removeRegistryImages(docker: Docker, prefix: string): Promise<void> {
  const images = await docker.listImages();
  for (const ref of images.flatMap(i => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])])) {
    if (ref.startsWith(prefix)) {
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}
