# SEGB_SANITIZE applies one sanitizer set to every target of the build, so the
# library, the tests and the helpers agree on one runtime.
if(SEGB_SANITIZE)
  set(_segb_san -fsanitize=${SEGB_SANITIZE} -fno-omit-frame-pointer -g)
  if(SEGB_SANITIZE MATCHES "undefined")
    list(APPEND _segb_san -fno-sanitize-recover=all)
  endif()
  add_compile_options(${_segb_san})
  add_link_options(-fsanitize=${SEGB_SANITIZE})
endif()
