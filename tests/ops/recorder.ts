import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  bodyBytes: number
}

export interface Recorder {
  name: string
  address: string
  requests: RecordedRequest[]
  /** TCP connections accepted so far (to see nginx reuse keepalive connections). */
  connections(): number
  close(): Promise<void>
}

/**
 * A real HTTP server standing in for a service: it answers every request with JSON naming itself and keeps a
 * record of what reached it. `?big=1` pads the answer so gzip has something to compress.
 */
export async function startRecorder(name: string): Promise<Recorder> {
  const requests: RecordedRequest[] = []
  let connections = 0
  const server = http.createServer((req, res) => {
    let bodyBytes = 0
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length))
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes })
      const big = req.url?.includes('big=1') ? 'x'.repeat(20_000) : ''
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ upstream: name, url: req.url, bodyBytes, big }))
    })
  })
  server.keepAliveTimeout = 65_000
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    name,
    address: `127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
