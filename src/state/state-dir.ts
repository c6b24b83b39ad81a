/** Where multinic keeps its state unless told otherwise (--state-dir). A module of its own so that reading options loads no schema. */
export const DEFAULT_STATE_DIR = '/var/lib/multinic';
