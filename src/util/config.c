/* util/config.c: environment + .env lookup (see config.h). */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_VARS 128

static struct {
    char *key, *value;
} vars[CONFIG_MAX_VARS];
static int n_vars;
static int loaded;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static void parse_line(char *line)
{
    char *s = trim(line);
    if (*s == '#' || *s == '\0')
        return;
    if (strncmp(s, "export ", 7) == 0)
        s = trim(s + 7);
    char *eq = strchr(s, '=');
    if (!eq)
        return;
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    size_t n = strlen(val);
    if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
        val[n - 1] = '\0';
        val++;
    } else {
        char *hash = strstr(val, " #");
        if (hash)
            *hash = '\0';
        val = trim(val);
    }
    if (!*key || n_vars >= CONFIG_MAX_VARS)
        return;
    for (int i = 0; i < n_vars; i++)
        if (strcmp(vars[i].key, key) == 0)
            return; /* dotenv: first definition wins */
    vars[n_vars].key = strdup(key);
    vars[n_vars].value = strdup(val);
    if (vars[n_vars].key && vars[n_vars].value)
        n_vars++;
}

void config_load(const char *path)
{
    if (loaded)
        return;
    loaded = 1;
    FILE *f = fopen(path ? path : ".env", "r");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f))
        parse_line(line);
    fclose(f);
}

const char *config_get(const char *name, const char *def)
{
    config_load(NULL);
    const char *v = getenv(name);
    if (v && *v)
        return v;
    for (int i = 0; i < n_vars; i++)
        if (strcmp(vars[i].key, name) == 0)
            return *vars[i].value ? vars[i].value : def;
    return def;
}

long config_get_long(const char *name, long def, long min, long max)
{
    const char *v = config_get(name, NULL);
    if (!v)
        return def;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < min || x > max)
        return def;
    return x;
}
