import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A terminal program driven as a person would: tmux runs it on a private server
 * (which inherits this process's environment), keys are typed with send-keys and
 * the screen is read with capture-pane.
 */
export class Terminal {
  private readonly socket = `ariel-test-${randomBytes(4).toString('hex')}`;

  constructor(command: string, options: { cwd: string; columns?: number; rows?: number }) {
    this.tmux(
      'new-session',
      '-d',
      '-x',
      String(options.columns ?? 120),
      '-y',
      String(options.rows ?? 30),
      '-c',
      options.cwd,
      // Keeps the pane readable after the program ends.
      `${command}; echo "EXIT=$?"; sleep 600`
    );
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J');
  }

  /** Presses keys by tmux name, e.g. C-c. */
  keys(...names: string[]): void {
    this.tmux('send-keys', ...names);
  }

  type(text: string): void {
    this.tmux('send-keys', '-l', text);
    this.tmux('send-keys', 'Enter');
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
