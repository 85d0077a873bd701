/** `did:web` for a URL's host, with the port percent-encoded as the did:web method requires. */
export function didWebFor(url: string): string {
  const { hostname, port } = new URL(url)
  return `did:web:${hostname}${port ? `%3A${port}` : ''}`
}
