/* SPDX-License-Identifier: MIT */
/* The kernel log: printk and its level helpers, written to the console. */
#ifndef MMK_LIB_PRINTK_H
#define MMK_LIB_PRINTK_H

#include <stdarg.h>

#pragma GCC visibility push(hidden)

__attribute__((format(printf, 1, 2))) void printk(const char *fmt, ...);
void vprintk(const char *fmt, va_list ap);

/* Linux's printk_ratelimited() budget: 10 messages per 5 seconds. */
struct ratelimit_state {
	_Atomic unsigned long long begin;	/* ns, start of the window */
	_Atomic int printed;
};
_Bool __ratelimit(struct ratelimit_state *rs);

#define pr_emerg(...)	printk(__VA_ARGS__)
#define pr_alert(...)	printk(__VA_ARGS__)
#define pr_err(...)	printk(__VA_ARGS__)
#define pr_warn(...)	printk(__VA_ARGS__)
#define pr_info(...)	printk(__VA_ARGS__)
#define pr_cont(...)	printk(__VA_ARGS__)

/* A kernel bug the machine cannot survive: report where, and halt. */
#define BUG() do { \
	printk("kernel BUG at %s:%d!\n", __FILE__, __LINE__); \
	mmk_bug_halt(); \
} while (0)
#define BUG_ON(cond) do { if (__builtin_expect(!!(cond), 0)) BUG(); } while (0)
_Noreturn void mmk_bug_halt(void);

#define WARN_ON_ONCE(cond) ({						\
	static int __warned;						\
	int __ret = !!(cond);						\
	if (__builtin_expect(__ret, 0) && !__warned) {			\
		__warned = 1;						\
		printk("WARNING: at %s:%d %s\n", __FILE__, __LINE__, __func__); \
	}								\
	__ret;								\
})

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#pragma GCC visibility pop

#endif
