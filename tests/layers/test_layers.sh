#!/usr/bin/env bash
# The include arrows of src/ point down only (docs/ARCHITECTURE.md): a file
# may include headers of its own folder and of lower layers, never of its
# own layer's other folders or of a higher one. So webhook/, on layer 1,
# includes core/ only (the one layer below it); transport/ and auth/ take plain option structs and never see a
# config header.
set -u
src=${1:?usage: test_layers.sh SRC_DIR}

# Layer of a folder of src/; "." is the top: setup.c and the client.
rank() {
  case $1 in
    core) echo 0 ;;
    config | message | webhook) echo 1 ;;
    transport) echo 2 ;;
    auth) echo 3 ;;
    dispatch | api) echo 4 ;;
    .) echo 5 ;;
    conntest) echo 6 ;;
    *) echo unknown ;;
  esac
}

bad=0
cd "$src" || exit 2
while IFS= read -r file; do
  dir=$(dirname "$file")
  dir=${dir#./}
  from=$(rank "$dir")
  while IFS= read -r inc; do
    case $inc in
      */*) to_dir=${inc%%/*} ;;
      *) [ -e "$dir/$inc" ] && continue || to_dir=. ;;
    esac
    to=$(rank "$to_dir")
    if [ "$from" = unknown ] || [ "$to" = unknown ]; then
      echo "$file: include \"$inc\": folder not in the layer list"
      bad=1
    elif [ "$to_dir" != "$dir" ] && [ "$to" -ge "$from" ]; then
      echo "$file: include \"$inc\" points up or sideways ($dir -> $to_dir)"
      bad=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find . -name '*.[ch]' | sort)

# The config adapters live in setup.c: transport/ and auth/ see no config.
if grep -rn 'segb_config_t\|segb_config_s\|<segbridge/config.h>\|#include "config/' \
  transport auth; then
  echo "transport/ or auth/ sees the configuration"
  bad=1
fi

# Public headers are not layers, so a call is checked too: below the top,
# nothing calls the client, the reader's constructor or Test Connection
# (comment and string lines aside).
facade='segb_client_[a-z_]*(\|segb_\(identify\|track\|page\|screen\|group\|alias\)('
facade="$facade\\|segb_reader_new(\\|segb_test_connection("
if grep -rn "$facade" core config message webhook transport auth dispatch api |
  grep -v '^[^:]*:[0-9]*:[[:space:]]*\(/\*\|\*\|"\)'; then
  echo "a lower layer calls the facade above it"
  bad=1
fi
# Within config/, the region table reads the properties, so the property
# parser must not call back into it: both share the URL code of core/.
if grep -n '#include "\(config/\)\?region.h"' config/config.c config/props.*; then
  echo "config/: the property parser and the region table call each other"
  bad=1
fi

[ "$bad" = 0 ] && echo "layers: every include points down"
exit "$bad"
