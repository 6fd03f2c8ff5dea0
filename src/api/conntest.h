/* The Test Connection report: a verdict, a code, what happened and what to
 * do, per direction. */
#ifndef SBI_API_CONNTEST_H
#define SBI_API_CONNTEST_H

#include <segbridge/api.h>

/* A report with every direction skipped; NULL when out of memory. */
segb_conntest_t *sbi_conntest_new(void);

/* Set @direction's outcome; @detail and @advice are copied (cut to fit). */
void sbi_conntest_set(segb_conntest_t *t, int direction, int verdict, int err,
                      const char *detail, const char *advice);

#endif
