// The `latchkey` command: see cli/main.ts.
import '../cli/main.ts';
