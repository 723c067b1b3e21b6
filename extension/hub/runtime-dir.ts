// Where the hubs' sockets are: shared by the shell side and the preferences window (Gio and GLib only).
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

/** `$XDG_RUNTIME_DIR` when set to an absolute path, else `/run/user/<uid>` (wire.md §5). */
export function runtimeDir(): string {
  const dir = GLib.getenv('XDG_RUNTIME_DIR');
  return dir?.startsWith('/') ? dir : `/run/user/${new Gio.Credentials().get_unix_user()}`;
}
