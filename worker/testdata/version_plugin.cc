// A plugin built twice (PLUGIN_VERSION 1 and 2) for the upload tests: the same function
// name, a different answer, as a user's library before and after a fix.
#include <cstdint>

#include "weft/function.h"

#ifndef PLUGIN_VERSION
#error "build with -DPLUGIN_VERSION=N"
#endif

namespace version_plugin {

int64_t PluginVersion() { return PLUGIN_VERSION; }

}  // namespace version_plugin

WEFT_FUNCTION("plugin_version", version_plugin::PluginVersion);
