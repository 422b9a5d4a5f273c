/**
 * docker-modem's HTTP layer (lib/http.js, based on follow-redirects), which every engine request
 * goes through. Its `maxRedirects` is the number of redirects it follows for requests that do
 * not set their own; dockerode never sets one.
 */
declare module 'docker-modem/lib/http.js' {
  const http: { maxRedirects: number };
  export default http;
}
