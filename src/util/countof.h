/* util/countof.h: SP_COUNT(a), the number of elements of an array (never a pointer).
 * Thread model: a macro. */
#ifndef SP_UTIL_COUNTOF_H
#define SP_UTIL_COUNTOF_H

#define SP_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
