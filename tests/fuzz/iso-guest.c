// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz iso: the guest's code, 64-bit and 32-bit, assembled into .rodata
 * and copied into slot 0 by iso.c.  Ports 0xe0..0xe5 and the script's
 * layout are iso.c's (PORT_*, OP_*).
 */
#include "iso.h"

/*
 * The guest, in its 64-bit and 32-bit forms: a loop over the script at
 * R15 (ESI) of {op, address, value} entries; a read is reported by OUT to
 * PORT_READ with the value in RAX (EDX:EAX... ECX:EAX in 32-bit) and the
 * address in RBX; every exception vector goes to the handler, which
 * reloads the stack from R14 (EBP), reports and goes on with the next
 * entry, up to R13 (EDX) faults.
 */
/* An OP_EMUL stub: at most 32 bytes with the report and the jump back. */
#define STUB(insns)	insns "\n out 0xe0, eax\n jmp 1b\n .balign 32\n"

/* The guest NAME, with the labels iso.h declares made global. */
#define GUEST_ASM(name, mode, body)					\
	asm(".pushsection .rodata\n" mode "\n.intel_syntax noprefix\n"	\
	    ".globl " #name ", " #name "_end, " #name "_handler\n"	\
	    ".globl " #name "_stubs, " #name "_stubs_end\n"		\
	    #name ":\n" body "\n" #name "_end:\n"			\
	    ".att_syntax prefix\n.code64\n.popsection")

GUEST_ASM(guest64, ".code64",
	"1: mov rax, [r15]\n"
	"   mov rbx, [r15 + 8]\n"
	"   mov rcx, [r15 + 16]\n"
	"   add r15, 24\n"
	"   cmp al, 1\n je 2f\n"
	"   cmp al, 2\n je 3f\n"
	"   cmp al, 3\n je 4f\n"
	"   cmp al, 4\n je 6f\n"
	"   out 0xe1, eax\n"
	"   hlt\n"
	"   jmp 1b\n"
	"2: mov rax, [rbx]\n"
	"   out 0xe0, eax\n"
	"   jmp 1b\n"
	"3: mov [rbx], rcx\n"
	"   jmp 1b\n"
	"4: call rbx\n"
	"   jmp 1b\n"
	"guest64_handler:\n"
	"   mov rsp, r14\n"
	"   dec r13\n"
	"   jz 5f\n"
	"   out 0xe2, eax\n"
	"   jmp 1b\n"
	"5: out 0xe3, eax\n"
	"   hlt\n"
	"   jmp 5b\n"
	/* OP_EMUL: jump to stub number AH; each reports RAX. */
	"6: movzx eax, ah\n"
	"   shl eax, 5\n"
	"   lea rdx, [rip + guest64_stubs]\n"
	"   add rax, rdx\n"
	"   jmp rax\n"
	"   .balign 32\n"
	"guest64_stubs:\n"
	STUB("movdqu xmm0, [rbx]\n movq rax, xmm0")
	STUB("push qword ptr [rbx]\n pop rax")
	STUB("xadd [rbx], rcx\n mov rax, rcx")
	STUB("mov rsi, rbx\n lodsq")
	STUB("bt [rbx], rcx\n setc al\n movzx eax, al")
	STUB("mov rsi, rbx\n lea rdi, [rbx + 8]\n mov ecx, 3\n rep movsq\n mov rax, [rbx + 8]")
	STUB("xor eax, eax\n xor edx, edx\n cmpxchg8b [rbx]")
	STUB("xchg [rbx], rcx\n mov rax, rcx")
	STUB("shld [rbx], rcx, 7\n mov rax, [rbx]")
	STUB("mov eax, 1\n xor edx, edx\n div dword ptr [rbx]")
	STUB("mov fs, word ptr [rbx]\n mov eax, fs")
	STUB("mov word ptr [rbx], cs\n mov rax, [rbx]")
	STUB("jmp qword ptr [rbx]")
	STUB(".byte 0x48, 0xff, 0x2b")		/* rex64 jmp far [rbx] */
	STUB("mov rdi, rbx\n mov edx, 0xe4\n mov ecx, 2\n rep insb\n mov rax, [rbx]")
	STUB("mov rsi, rbx\n mov edx, 0xe5\n mov ecx, 2\n rep outsd")
	STUB("ltr word ptr [rbx]\n str eax")
	STUB("movq mm0, [rbx]\n movq rax, mm0")
	STUB("push word ptr [rbx]\n pop ax")
	STUB("cmovne rax, [rbx]\n movsx rcx, word ptr [rbx]\n add rax, rcx")
	"guest64_stubs_end:\n");

GUEST_ASM(guest32, ".code32",
	"1: mov eax, [esi]\n"
	"   mov ebx, [esi + 4]\n"
	"   mov ecx, [esi + 8]\n"
	"   mov edi, [esi + 12]\n"
	"   add esi, 16\n"
	"   cmp al, 1\n je 2f\n"
	"   cmp al, 2\n je 3f\n"
	"   cmp al, 3\n je 4f\n"
	"   cmp al, 4\n je 6f\n"
	"   out 0xe1, eax\n"
	"   hlt\n"
	"   jmp 1b\n"
	"2: mov eax, [ebx]\n"
	"   mov ecx, [ebx + 4]\n"
	"   out 0xe0, eax\n"
	"   jmp 1b\n"
	"3: mov [ebx], ecx\n"
	"   mov [ebx + 4], edi\n"
	"   jmp 1b\n"
	"4: call ebx\n"
	"   jmp 1b\n"
	"guest32_handler:\n"
	"   mov esp, ebp\n"
	"   dec edx\n"
	"   jz 5f\n"
	"   out 0xe2, eax\n"
	"   jmp 1b\n"
	"5: out 0xe3, eax\n"
	"   hlt\n"
	"   jmp 5b\n"
	/*
	 * OP_EMUL: stub number AH; each reports ECX:EAX.  A stub may fault
	 * anywhere, so none touches ESI, EBP or EDX (the handler's).
	 */
	"6: movzx eax, ah\n"
	"   shl eax, 5\n"
	"   call 7f\n"
	"7: add eax, [esp]\n"
	"   add esp, 4\n"
	"   add eax, OFFSET guest32_stubs - 7b\n"
	"   jmp eax\n"
	"   .balign 32\n"
	"guest32_stubs:\n"
	STUB("movdqu xmm0, [ebx]\n movd eax, xmm0\n xor ecx, ecx")
	STUB("push dword ptr [ebx]\n pop eax\n xor ecx, ecx")
	STUB("xadd [ebx], ecx\n mov eax, ecx\n xor ecx, ecx")
	STUB("mov edi, ebx\n mov eax, ecx\n stosd\n mov eax, [ebx]\n xor ecx, ecx")
	STUB("bt [ebx], ecx\n setc al\n movzx eax, al\n xor ecx, ecx")
	STUB("xchg [ebx], ecx\n mov eax, ecx\n xor ecx, ecx")
	STUB("shld [ebx], ecx, 7\n mov eax, [ebx]\n xor ecx, ecx")
	STUB("mov eax, 0x1234\n div byte ptr [ebx]\n xor ecx, ecx")
	STUB("mov fs, word ptr [ebx]\n mov eax, fs\n xor ecx, ecx")
	STUB("mov word ptr [ebx], cs\n mov eax, [ebx]\n xor ecx, ecx")
	STUB("jmp dword ptr [ebx]")
	STUB("jmp fword ptr [ebx]")
	STUB("ltr word ptr [ebx]\n str eax\n xor ecx, ecx")
	STUB("movq mm0, [ebx]\n movd eax, mm0\n xor ecx, ecx")
	STUB("push word ptr [ebx]\n pop ax\n xor ecx, ecx")
	STUB("cmovne eax, [ebx]\n movsx ecx, word ptr [ebx]")
	"guest32_stubs_end:\n");
