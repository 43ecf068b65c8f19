/* util/config.h: configuration from the environment and a `.env` file.
 *
 * Lookup order for a variable: the process environment, then `./.env` in the working directory
 * (dotenv rules: KEY=VALUE lines, `#` comments, optional `export `, single or double quotes,
 * no interpolation), then the caller's default. The file is read once, at the first lookup.
 * Thread model: call config_load() (or any getter) once before starting threads; afterwards
 * the table is read-only.
 */
#ifndef SP_UTIL_CONFIG_H
#define SP_UTIL_CONFIG_H

/* Read ./.env (or path if not NULL). Safe to call more than once; later calls are no-ops. */
void config_load(const char *path);
/* Borrowed string valid for the process lifetime, or def when the variable is unset or empty. */
const char *config_get(const char *name, const char *def);
/* Integer variable in [min,max], or def when unset/invalid. */
long config_get_long(const char *name, long def, long min, long max);

#endif
