// The bundler inlines this package's own package.json; tsc leaves the call as it is.
declare const require: (id: string) => { version: string };

/** The version of this JupyterLab extension, compared with the server side's on start. */
export const FRONTEND_VERSION: string = require('../package.json').version;
