# Install rules: public headers, both libraries, a CMake package
# (find_package(segbridge)) and a pkg-config file (segbridge.pc).
include(CMakePackageConfigHelpers)

# pkg-config modules the library links privately, as a CMake list; a static
# consumer gets them through Requires.private.
set(SEGB_PC_REQUIRES_PRIVATE libcurl zlib libcrypto)

set(SEGB_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/segbridge)

# Headers: every public header plus the generated version.h.
file(GLOB SEGB_PUBLIC_HEADERS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/segbridge/*.h)
install(FILES ${SEGB_PUBLIC_HEADERS}
              ${PROJECT_BINARY_DIR}/include/segbridge/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/segbridge)

# Libraries: libsegbridge.so.X.Y.Z with its SONAME link and namelink, and
# libsegbridge.a. Both are built from $<TARGET_OBJECTS:segbridge_objects>, so
# the object library itself stays out of the export set.
install(TARGETS segbridge segbridge_static
        EXPORT segbridgeTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# CMake package: imported targets segbridge::segbridge and
# segbridge::segbridge_static, a config that finds their dependencies, and a
# version file that accepts any release of the same major version (the ABI
# promise of docs/ABI.md).
install(EXPORT segbridgeTargets
        NAMESPACE segbridge::
        DESTINATION ${SEGB_CMAKE_PACKAGE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/segbridgeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/segbridgeConfig.cmake
  INSTALL_DESTINATION ${SEGB_CMAKE_PACKAGE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/segbridgeConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/segbridgeConfig.cmake
              ${PROJECT_BINARY_DIR}/segbridgeConfigVersion.cmake
        DESTINATION ${SEGB_CMAKE_PACKAGE_DIR})

# pkg-config file with full paths. `cmake --install --prefix DIR` chooses the
# prefix only at install time, so the file is written then: each directory
# is joined to the prefix in force, as CMAKE_INSTALL_FULL_<dir> would be
# (an absolute CMAKE_INSTALL_<dir> stays as it is).
list(JOIN SEGB_PC_REQUIRES_PRIVATE " " _segb_pc_requires)
install(CODE "
  block()
    set(PROJECT_VERSION \"${PROJECT_VERSION}\")
    set(SEGB_PC_REQUIRES_PRIVATE \"${_segb_pc_requires}\")
    cmake_path(APPEND CMAKE_INSTALL_PREFIX \"${CMAKE_INSTALL_LIBDIR}\"
               OUTPUT_VARIABLE CMAKE_INSTALL_FULL_LIBDIR)
    cmake_path(APPEND CMAKE_INSTALL_PREFIX \"${CMAKE_INSTALL_INCLUDEDIR}\"
               OUTPUT_VARIABLE CMAKE_INSTALL_FULL_INCLUDEDIR)
    configure_file(\"${PROJECT_SOURCE_DIR}/pkgconfig/segbridge.pc.in\"
                   \"${PROJECT_BINARY_DIR}/pkgconfig/segbridge.pc\" @ONLY)
  endblock()
")
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/segbridge.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The licence travels with every installed copy.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
