# Warnings are high and must stay clean; the project's own targets opt in.
set(SEGB_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wcast-qual -Wwrite-strings
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
    -Wpointer-arith -Wundef -Wvla -Wnull-dereference -Wconversion
    -Wno-sign-conversion)

function(segb_warnings target)
  target_compile_options(${target} PRIVATE ${SEGB_WARNINGS})
endfunction()
