#include <segbridge/version.h>

uint32_t segb_version(void) { return SEGB_VERSION_NUM; }

const char *segb_version_str(void) { return SEGB_VERSION_STR; }

/* Grows as the issues that bring each feature land. */
uint32_t segb_features(void) {
  return SEGB_FEATURE_MESSAGES | SEGB_FEATURE_TRACKING | SEGB_FEATURE_GZIP |
         SEGB_FEATURE_WEBHOOK | SEGB_FEATURE_OAUTH | SEGB_FEATURE_READ_API;
}
