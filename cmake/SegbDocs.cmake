# The API reference from the public headers' comments, with Doxygen:
# `cmake --build build --target docs`. Without doxygen there is no target
# (tests/docs skips its check).
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(SEGB_DOCS_OUTPUT_DIR ${PROJECT_BINARY_DIR}/docs/api)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in
                 ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  add_custom_target(docs
                    COMMAND ${CMAKE_COMMAND} -E make_directory
                            ${SEGB_DOCS_OUTPUT_DIR}
                    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/docs/Doxyfile
                    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
                    COMMENT "API reference in ${SEGB_DOCS_OUTPUT_DIR}/html"
                    VERBATIM)
endif()
