/**
 * @file
 * libsegbridge - export and linkage macros shared by every public header.
 *
 * SEGB_API marks a function that is part of the ABI. The library is built with
 * hidden visibility, so anything without it stays inside the .so.
 */
#ifndef SEGBRIDGE_EXPORT_H
#define SEGBRIDGE_EXPORT_H

/** @def SEGB_API
 *  Marks a declaration as exported: default visibility on GCC and Clang,
 *  dllexport/dllimport on Windows (define SEGB_STATIC there to link the
 *  static library). */
/** @def SEGB_BEGIN_DECLS
 *  Opens C linkage in C++ (extern "C" {); nothing in C. */
/** @def SEGB_END_DECLS
 *  Closes what SEGB_BEGIN_DECLS opened. */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(SEGB_STATIC)
#    define SEGB_API
#  elif defined(SEGB_BUILDING_DLL)
#    define SEGB_API __declspec(dllexport)
#  else
#    define SEGB_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define SEGB_API __attribute__((visibility("default")))
#else
#  define SEGB_API
#endif

#ifdef __cplusplus
#  define SEGB_BEGIN_DECLS extern "C" {
#  define SEGB_END_DECLS }
#else
#  define SEGB_BEGIN_DECLS
#  define SEGB_END_DECLS
#endif

#endif /* SEGBRIDGE_EXPORT_H */
