# Sanitizer builds: -DKINDRED_SANITIZE=address,undefined (AddressSanitizer + UBSan) or
# -DKINDRED_SANITIZE=thread (ThreadSanitizer). Applies to every target of the project.
set(KINDRED_SANITIZE "" CACHE STRING
    "Sanitizers to build with: empty, 'address,undefined' or 'thread'")
if(KINDRED_SANITIZE)
    if(NOT KINDRED_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
        message(FATAL_ERROR "KINDRED_SANITIZE: expected 'address,undefined' or 'thread', "
                            "found '${KINDRED_SANITIZE}'")
    endif()
    add_compile_options(-fsanitize=${KINDRED_SANITIZE} -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${KINDRED_SANITIZE})
    if(KINDRED_SANITIZE STREQUAL "thread")
        # Loops run on std::threads: TSan cannot see oneTBB's own synchronisation.
        add_compile_definitions(KINDRED_PARALLEL_STD_THREADS)
    endif()
    if(KINDRED_SANITIZE MATCHES "undefined")
        # Every UBSan finding fails the test that triggers it.
        add_compile_options(-fno-sanitize-recover=undefined)
    endif()
endif()
